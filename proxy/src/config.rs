//! haproxy.cfg-style configuration.
