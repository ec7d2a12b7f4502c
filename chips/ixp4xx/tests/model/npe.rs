//! Register-level model of one NPE: the execution-control interface (ECS registers,
//! instruction/data memory through EXEC_ADDR/EXEC_DATA/EXEC_STATUS_CMD, debug single-steps that
//! tick WATCH_COUNT), the message FIFOs, and, once started with an image, the documented
//! behaviour of the Ethernet microcode (message echoes, status message, GETSTATS DMA). The data
//! path lives in `mod.rs` because it needs the queue manager and memory models too.

use std::collections::{HashMap, VecDeque};

use ixp4xx::npe::{cmd, ecs, instr, regs};

pub const INSTRUCTION_WORDS: usize = 0x800;
pub const DATA_WORDS: usize = 0x800;

#[derive(Debug, Default)]
pub struct NpeState {
    pub running: bool,
    pub exec_addr: u32,
    pub exec_data: u32,
    pub exec_count: u32,
    pub action_points: [u32; 4],
    pub watch_count: u32,
    pub messaging_control: u32,
    pub mailbox_status: u32,
    pub ecs: HashMap<u32, u32>,
    pub instruction_memory: Vec<u32>,
    pub data_memory: Vec<u32>,
    pub in_fifo: VecDeque<u32>,
    pub out_fifo: VecDeque<u32>,
    /// Every instruction executed by STEP, in order.
    pub stepped: Vec<u32>,
    /// Memory writes attempted while the NPE was running (a loader bug).
    pub writes_while_running: u32,
    pub starts: u32,
    /// What the "microcode" posts after START, if it is Ethernet microcode.
    pub status_on_start: Option<[u32; 2]>,
    /// Ethernet-microcode state set by messages.
    pub eth: EthFirmwareState,
    /// Messages received (both words), in order.
    pub messages: Vec<[u32; 2]>,
    /// Fault injection: when set, the next message gets this reply instead of the echo.
    pub corrupt_next_reply: Option<[u32; 2]>,
    /// Fault injection: the microcode hangs (takes messages but never answers).
    pub hung: bool,
    /// GETSTATS requests: (bus address) pending DMA, served by the SoC (needs memory).
    pub stats_requests: VecDeque<(u32, bool)>,
}

#[derive(Debug, Default, Clone)]
pub struct EthFirmwareState {
    pub rx_qos: [Option<u8>; 8],
    pub mac: Option<[u8; 6]>,
    pub firewall_mode: Option<u8>,
    pub loopback: bool,
}

impl NpeState {
    pub fn new() -> Self {
        NpeState {
            instruction_memory: vec![0; INSTRUCTION_WORDS],
            data_memory: vec![0; DATA_WORDS],
            mailbox_status: 0xF0F0,
            ..Default::default()
        }
    }

    pub fn messaging_status(&self) -> u32 {
        use ixp4xx::npe::msg_stat::*;
        let mut s = 0;
        if !self.out_fifo.is_empty() {
            s |= OFNE;
        }
        if self.in_fifo.len() < 2 {
            s |= IFNF;
        }
        if self.out_fifo.len() < 2 {
            s |= OFNF;
        }
        if !self.in_fifo.is_empty() {
            s |= IFNE;
        }
        s
    }

    pub fn read(&mut self, offset: usize) -> u32 {
        match offset {
            regs::EXEC_ADDR => self.exec_addr,
            regs::EXEC_DATA => self.exec_data,
            regs::EXEC_STATUS_CMD => {
                if self.running {
                    ixp4xx::npe::exec_stat::RUN
                } else {
                    ixp4xx::npe::exec_stat::STOP
                }
            }
            regs::EXEC_COUNT => self.exec_count,
            0x10..=0x1C => self.action_points[(offset - 0x10) / 4],
            regs::WATCHPOINT_FIFO => 0,
            regs::WATCH_COUNT => self.watch_count,
            0x28 => 0,
            regs::MESSAGING_STATUS => self.messaging_status(),
            regs::MESSAGING_CONTROL => self.messaging_control,
            regs::MAILBOX_STATUS => self.mailbox_status,
            regs::IN_OUT_FIFO => self.out_fifo.pop_front().unwrap_or(0),
            _ => panic!("NPE: read of unmapped offset {offset:#x}"),
        }
    }

    pub fn write(&mut self, offset: usize, value: u32) {
        match offset {
            regs::EXEC_ADDR => self.exec_addr = value,
            regs::EXEC_DATA => self.exec_data = value,
            regs::EXEC_STATUS_CMD => self.command(value),
            regs::EXEC_COUNT => self.exec_count = value,
            0x10..=0x1C => self.action_points[(offset - 0x10) / 4] = value,
            regs::WATCH_COUNT => self.watch_count = value,
            regs::MESSAGING_CONTROL => self.messaging_control = value,
            regs::MAILBOX_STATUS => self.mailbox_status = value,
            regs::IN_OUT_FIFO => {
                if self.in_fifo.len() < 2 {
                    self.in_fifo.push_back(value);
                }
                if self.running && self.in_fifo.len() == 2 {
                    let msg = [self.in_fifo[0], self.in_fifo[1]];
                    self.in_fifo.clear();
                    self.message(msg);
                }
            }
            _ => panic!("NPE: write of unmapped offset {offset:#x}"),
        }
    }

    fn command(&mut self, command: u32) {
        match command {
            cmd::STEP => {
                let instruction = self.ecs.get(&ecs::INSTRUCTION_REG).copied().unwrap_or(0);
                if instruction == instr::READ_FIFO {
                    self.in_fifo.pop_front();
                }
                if instruction == instr::RESET_MAILBOX {
                    self.mailbox_status = 0xF0F0;
                }
                self.stepped.push(instruction);
                self.watch_count = self.watch_count.wrapping_add(1);
            }
            cmd::START => {
                self.running = true;
                self.starts += 1;
                if let Some(status) = self.status_on_start {
                    self.out_fifo.extend(status);
                }
            }
            cmd::STOP => self.running = false,
            cmd::CLEAR_PIPE | cmd::CLEAR_PROFILE_COUNT => {}
            cmd::READ_INSTRUCTION => {
                self.exec_data =
                    self.instruction_memory[self.exec_addr as usize % INSTRUCTION_WORDS]
            }
            cmd::READ_DATA => {
                self.exec_data = self.data_memory[self.exec_addr as usize % DATA_WORDS]
            }
            cmd::WRITE_INSTRUCTION | cmd::WRITE_DATA => {
                if self.running {
                    self.writes_while_running += 1;
                    return;
                }
                let (memory, size) = if command == cmd::WRITE_INSTRUCTION {
                    (&mut self.instruction_memory, INSTRUCTION_WORDS)
                } else {
                    (&mut self.data_memory, DATA_WORDS)
                };
                let addr = self.exec_addr as usize;
                assert!(
                    addr < size,
                    "NPE: memory write beyond {size} words at {addr:#x}"
                );
                memory[addr] = self.exec_data;
            }
            cmd::READ_ECS => {
                self.exec_data = self.ecs.get(&self.exec_addr).copied().unwrap_or(0);
            }
            cmd::WRITE_ECS => {
                self.ecs.insert(self.exec_addr, self.exec_data);
            }
            other => panic!("NPE: unknown command {other:#x}"),
        }
    }

    /// The Ethernet microcode's answer to a message (Intel `IxEthNpe.h` IDs, echo protocol
    /// of Linux `npe_send_recv_message`).
    fn message(&mut self, msg: [u32; 2]) {
        self.messages.push(msg);
        if self.hung {
            return;
        }
        let b0 = msg[0].to_be_bytes();
        let b1 = msg[1].to_be_bytes();
        let eth = &mut self.eth;
        match b0[0] {
            0x00 => {
                let status = self.status_on_start.unwrap_or([0, 0]);
                self.out_fifo.extend(status);
                return;
            }
            0x01 => eth.mac = Some([b0[2], b0[3], b1[0], b1[1], b1[2], b1[3]]),
            0x04 | 0x05 => {
                // Served by the SoC, which owns memory; it replies afterwards.
                self.stats_requests.push_back((msg[1], b0[0] == 0x05));
                return;
            }
            0x0B => {
                let priority = b0[3] as usize;
                if priority < 8 && b1[1] & 0x80 != 0 {
                    eth.rx_qos[priority] = Some(b1[1] & 0x7F);
                }
            }
            0x0E => eth.firewall_mode = Some(b0[3]),
            0x12 => eth.loopback = b0[3] != 0,
            _ => {}
        }
        let reply = self.corrupt_next_reply.take().unwrap_or(msg);
        self.out_fifo.extend(reply);
    }
}
