//! Canned responses the proxy sends on its own: HAProxy's default error pages and
//! `100 Continue`.
//!
//! The error pages match HAProxy's built-in errorfiles byte for byte in their status line,
//! headers and wording (HTTP/1.1, `Content-length`, `Cache-Control: no-cache`,
//! `Connection: close`, `Content-Type: text/html`, a one-line HTML body), so clients, monitors
//! and log tooling that know HAProxy see what they expect. Each one closes the connection.

/// `100 Continue`, sent by the proxy when it answers `Expect: 100-continue` itself.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Builds one error page; the `Content-length` value is checked against the body in tests.
macro_rules! error_page {
    ($status:literal, $reason:literal, $length:literal, $text:literal) => {
        concat!(
            "HTTP/1.1 ",
            $status,
            " ",
            $reason,
            "\r\n",
            "Content-length: ",
            $length,
            "\r\n",
            "Cache-Control: no-cache\r\n",
            "Connection: close\r\n",
            "Content-Type: text/html\r\n",
            "\r\n",
            "<html><body><h1>",
            $status,
            " ",
            $reason,
            "</h1>\n",
            $text,
            "\n",
            "</body></html>\n"
        )
        .as_bytes()
    };
}

/// 400: the request could not be parsed or was refused as ambiguous.
pub const BAD_REQUEST: &[u8] = error_page!(
    "400",
    "Bad request",
    "90",
    "Your browser sent an invalid request."
);
/// 403: denied by a rule.
pub const FORBIDDEN: &[u8] = error_page!(
    "403",
    "Forbidden",
    "93",
    "Request forbidden by administrative rules."
);
/// 408: the client did not send a complete request within `timeout http-request`.
pub const REQUEST_TIMEOUT: &[u8] = error_page!(
    "408",
    "Request Time-out",
    "110",
    "Your browser didn't send a complete request in time."
);
/// 500: the proxy itself failed (for example a header rewrite that did not fit).
pub const INTERNAL_ERROR: &[u8] = error_page!(
    "500",
    "Internal Server Error",
    "97",
    "An internal server error occurred."
);
/// 502: the server's response could not be parsed or was cut short.
pub const BAD_GATEWAY: &[u8] = error_page!(
    "502",
    "Bad Gateway",
    "107",
    "The server returned an invalid or incomplete response."
);
/// 503: no server is available.
pub const SERVICE_UNAVAILABLE: &[u8] = error_page!(
    "503",
    "Service Unavailable",
    "107",
    "No server is available to handle this request."
);
/// 504: the server did not answer within `timeout server`.
pub const GATEWAY_TIMEOUT: &[u8] = error_page!(
    "504",
    "Gateway Time-out",
    "92",
    "The server didn't respond in time."
);

/// The canned page for `status`, for the statuses HAProxy itself emits. Any other status gets
/// the 500 page: the proxy asked for something it has no page for, which is its own fault.
pub fn error_response(status: u16) -> &'static [u8] {
    match status {
        400 => BAD_REQUEST,
        403 => FORBIDDEN,
        408 => REQUEST_TIMEOUT,
        502 => BAD_GATEWAY,
        503 => SERVICE_UNAVAILABLE,
        504 => GATEWAY_TIMEOUT,
        _ => INTERNAL_ERROR,
    }
}
