//! NPE (Network Processing Engine) control: soft reset, microcode loading, start/stop, and the
//! two-word message interface.
//!
//! Everything here follows Linux `drivers/soc/ixp4xx/ixp4xx-npe.c` (register layout in
//! `include/linux/soc/ixp4xx/npe.h`, `struct npe_regs`):
//!
//! | Offset | Register | Use |
//! |---|---|---|
//! | 0x00 | EXEC_ADDR | ECS register number or NPE memory word address |
//! | 0x04 | EXEC_DATA | data for an execution-control access |
//! | 0x08 | EXEC_STATUS_CMD | write: command; read: status (bit 31 running) |
//! | 0x0C | EXEC_COUNT | 0 clears the halt bit |
//! | 0x10–0x1C | ACTION_POINTS\[4\] | breakpoints |
//! | 0x20 | WATCHPOINT_FIFO | bit 31 entry valid |
//! | 0x24 | WATCH_COUNT | ticks once per executed (stepped) instruction |
//! | 0x2C | MESSAGING_STATUS | FIFO flags, see [`msg_stat`] |
//! | 0x30 | MESSAGING_CONTROL | FIFO/interrupt enables |
//! | 0x34 | MAILBOX_STATUS | reset value 0xF0F0 |
//! | 0x38 | IN_OUT_FIFO | write: to the NPE; read: from the NPE |
//!
//! Submodules: [`firmware`] parses the user-supplied microcode file.
//!
//! Bounded waits: Linux polls with `udelay(1)` up to 1000 times. Without a clock here, every
//! wait is a bounded number of register reads ([`POLL_LIMIT`]); one IXP420 peripheral read takes
//! tens of core cycles, so the limit is comfortably more than Linux's 1 ms.

pub mod firmware;

pub use firmware::{BlockKind, Firmware, FirmwareError, ImageId, NpeId};

use hil::mmio::Bus;

/// Register offsets (also used by models).
pub mod regs {
    /// Address for execution-control accesses.
    pub const EXEC_ADDR: usize = 0x00;
    /// Data for execution-control accesses.
    pub const EXEC_DATA: usize = 0x04;
    /// Command (write) / status (read).
    pub const EXEC_STATUS_CMD: usize = 0x08;
    /// Execution count.
    pub const EXEC_COUNT: usize = 0x0C;
    /// First of four action-point (breakpoint) registers.
    pub const ACTION_POINTS: usize = 0x10;
    /// Watchpoint FIFO.
    pub const WATCHPOINT_FIFO: usize = 0x20;
    /// Instruction completion counter.
    pub const WATCH_COUNT: usize = 0x24;
    /// Messaging status.
    pub const MESSAGING_STATUS: usize = 0x2C;
    /// Messaging control.
    pub const MESSAGING_CONTROL: usize = 0x30;
    /// Mailbox status.
    pub const MAILBOX_STATUS: usize = 0x34;
    /// In-FIFO (write) / out-FIFO (read).
    pub const IN_OUT_FIFO: usize = 0x38;
}
use regs::*;

/// Execution-control commands (EXEC_STATUS_CMD writes).
pub mod cmd {
    /// Execute one instruction.
    pub const STEP: u32 = 0x01;
    /// Run.
    pub const START: u32 = 0x02;
    /// Stop.
    pub const STOP: u32 = 0x03;
    /// Flush the pipeline.
    pub const CLEAR_PIPE: u32 = 0x04;
    /// Clear the profile counter.
    pub const CLEAR_PROFILE_COUNT: u32 = 0x0C;
    /// Read instruction memory.
    pub const READ_INSTRUCTION: u32 = 0x10;
    /// Write instruction memory.
    pub const WRITE_INSTRUCTION: u32 = 0x11;
    /// Read data memory.
    pub const READ_DATA: u32 = 0x12;
    /// Write data memory.
    pub const WRITE_DATA: u32 = 0x13;
    /// Read an ECS register.
    pub const READ_ECS: u32 = 0x14;
    /// Write an ECS register.
    pub const WRITE_ECS: u32 = 0x15;
}

/// EXEC_STATUS_CMD read bits.
pub mod exec_stat {
    /// The NPE is running.
    pub const RUN: u32 = 1 << 31;
    /// The NPE is stopped.
    pub const STOP: u32 = 1 << 30;
}

/// MESSAGING_STATUS bits.
pub mod msg_stat {
    /// Out-FIFO (NPE → CPU) not empty.
    pub const OFNE: u32 = 1 << 16;
    /// In-FIFO (CPU → NPE) not full.
    pub const IFNF: u32 = 1 << 17;
    /// Out-FIFO not full.
    pub const OFNF: u32 = 1 << 18;
    /// In-FIFO not empty.
    pub const IFNE: u32 = 1 << 19;
}

/// ECS register numbers (EXEC_ADDR with the ECS commands).
pub mod ecs {
    /// Background context, register 0 (ACTIVE, NEXTPC).
    pub const BG_CTXT_REG_0: u32 = 0x00;
    /// Background context, register 1.
    pub const BG_CTXT_REG_1: u32 = 0x01;
    /// Background context, register 2.
    pub const BG_CTXT_REG_2: u32 = 0x02;
    /// Priority-1 context, register 0.
    pub const PRI_1_CTXT_REG_0: u32 = 0x04;
    /// Priority-1 context, register 1.
    pub const PRI_1_CTXT_REG_1: u32 = 0x05;
    /// Priority-1 context, register 2.
    pub const PRI_1_CTXT_REG_2: u32 = 0x06;
    /// Priority-2 context, register 0.
    pub const PRI_2_CTXT_REG_0: u32 = 0x08;
    /// Priority-2 context, register 1.
    pub const PRI_2_CTXT_REG_1: u32 = 0x09;
    /// Priority-2 context, register 2.
    pub const PRI_2_CTXT_REG_2: u32 = 0x0A;
    /// Debug context, register 0.
    pub const DBG_CTXT_REG_0: u32 = 0x0C;
    /// Debug context, register 1.
    pub const DBG_CTXT_REG_1: u32 = 0x0D;
    /// Debug context, register 2.
    pub const DBG_CTXT_REG_2: u32 = 0x0E;
    /// Instruction register (what a STEP executes).
    pub const INSTRUCTION_REG: u32 = 0x11;

    /// Register 0: context active.
    pub const REG_0_ACTIVE: u32 = 1 << 31;
    /// Register 0: next program counter field.
    pub const REG_0_NEXTPC_MASK: u32 = 0x1FFF_0000;
    /// Register 0: load-duration field shift.
    pub const REG_0_LDUR_SHIFT: u32 = 8;
    /// Register 1: current-context field shift.
    pub const REG_1_CCTXT_SHIFT: u32 = 16;
    /// Register 1: selected-context field shift.
    pub const REG_1_SELCTXT_SHIFT: u32 = 0;
    /// Debug register 2: instruction fetch disable.
    pub const DBG_REG_2_IF: u32 = 1 << 20;
    /// Debug register 2: interrupt disable.
    pub const DBG_REG_2_IE: u32 = 1 << 19;
}

/// NPE instructions the XScale executes through the debug context during reset.
pub mod instr {
    /// Read one word from the in-FIFO (drains it).
    pub const READ_FIFO: u32 = 0x0F88_8220;
    /// Reset the mailbox from the NPE side.
    pub const RESET_MAILBOX: u32 = 0x0FAC_8210;
    /// Write an 8-bit immediate to a logical register.
    pub const WRITE_REG_BYTE: u32 = 0x0000_4000;
    /// Write a 16-bit immediate to a logical register.
    pub const WRITE_REG_SHORT: u32 = 0x0000_C000;

    /// The immediate-write instruction `base` for logical register `addr` and value `val`
    /// (Linux `npe_logical_reg_write8/16` operand packing).
    pub const fn write_reg(base: u32, addr: u32, val: u32) -> u32 {
        base | addr << 9 | (val & 0x1F) << 4 | (val & !0x1F) << 13
    }
}

/// Logical NPE registers written during reset.
mod logical {
    pub const STEVT: u32 = 0x1B;
    pub const STARTPC: u32 = 0x1C;
    pub const REGMAP: u32 = 0x1E;
    pub const CINDEX: u32 = 0x1F;
}

/// Physical registers in the NPE register file.
const PHYSICAL_REGISTERS: u32 = 32;
/// Contexts with a context store.
const CONTEXTS: u32 = 16;
/// MAILBOX_STATUS reset value.
const MAILBOX_RESET: u32 = 0x0000_F0F0;
/// Upper bound on register polls for any hardware handshake.
pub const POLL_LIMIT: u32 = 100_000;

/// The ECS reset table Linux writes at the end of `npe_reset` (`ecs_reset[]`).
const ECS_RESET: [(u32, u32); 13] = [
    (ecs::BG_CTXT_REG_0, 0xA000_0000),
    (ecs::BG_CTXT_REG_1, 0x0100_0000),
    (ecs::BG_CTXT_REG_2, 0x0000_8000),
    (ecs::PRI_1_CTXT_REG_0, 0x2000_0080),
    (ecs::PRI_1_CTXT_REG_1, 0x0100_0000),
    (ecs::PRI_1_CTXT_REG_2, 0x0000_8000),
    (ecs::PRI_2_CTXT_REG_0, 0x2000_0080),
    (ecs::PRI_2_CTXT_REG_1, 0x0100_0000),
    (ecs::PRI_2_CTXT_REG_2, 0x0000_8000),
    (ecs::DBG_CTXT_REG_0, 0x2000_0000),
    (ecs::DBG_CTXT_REG_1, 0x0000_0000),
    (ecs::DBG_CTXT_REG_2, 0x001E_0000),
    (ecs::INSTRUCTION_REG, 0x1003_C00F),
];

/// Why an NPE operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NpeError {
    /// A debug-stepped instruction did not complete (WATCH_COUNT never moved).
    StepTimeout,
    /// The watchpoint FIFO or the out-FIFO would not drain.
    DrainTimeout,
    /// Loading was refused because the NPE is running; reset it first.
    Running,
    /// The NPE did not report RUN after START.
    StartFailed,
    /// The in-FIFO still held a previous message, or filled up after one word.
    InFifoBusy,
    /// The NPE did not take the message from its in-FIFO in time.
    SendTimeout,
    /// No (complete) reply arrived in time.
    ReceiveTimeout,
    /// The reply was not the echo of the request.
    UnexpectedReply {
        /// What was sent.
        sent: [u32; 2],
        /// What came back.
        received: [u32; 2],
    },
    /// The microcode file was invalid.
    Firmware(FirmwareError),
}

impl From<FirmwareError> for NpeError {
    fn from(e: FirmwareError) -> Self {
        NpeError::Firmware(e)
    }
}

/// One NPE's control interface.
#[derive(Debug)]
pub struct Npe<B: Bus> {
    bus: B,
    id: NpeId,
}

impl<B: Bus> Npe<B> {
    /// Wraps the register window of NPE `id`; does not touch the hardware.
    pub const fn new(bus: B, id: NpeId) -> Self {
        Npe { bus, id }
    }

    /// Which NPE this is.
    pub const fn id(&self) -> NpeId {
        self.id
    }

    /// Whether the NPE is executing.
    pub fn is_running(&self) -> bool {
        self.bus.read(EXEC_STATUS_CMD) & exec_stat::RUN != 0
    }

    fn command(&self, command: u32) {
        self.bus.write(EXEC_STATUS_CMD, command);
    }

    /// Execution-control write: data, address, command (Linux `npe_cmd_write`).
    fn cmd_write(&self, addr: u32, command: u32, data: u32) {
        self.bus.write(EXEC_DATA, data);
        self.bus.write(EXEC_ADDR, addr);
        self.command(command);
    }

    /// Execution-control read; EXEC_DATA is read three times and the last value used, which
    /// works around an XScale/NPE race (Linux `npe_cmd_read`).
    fn cmd_read(&self, addr: u32, command: u32) -> u32 {
        self.bus.write(EXEC_ADDR, addr);
        self.command(command);
        let _ = self.bus.read(EXEC_DATA);
        let _ = self.bus.read(EXEC_DATA);
        self.bus.read(EXEC_DATA)
    }

    /// Reads an ECS register.
    pub fn read_ecs(&self, register: u32) -> u32 {
        self.cmd_read(register, cmd::READ_ECS)
    }

    /// Writes an ECS register.
    pub fn write_ecs(&self, register: u32, value: u32) {
        self.cmd_write(register, cmd::WRITE_ECS, value)
    }

    /// Reads one word of instruction (`BlockKind::Instruction`) or data memory.
    pub fn read_memory(&self, kind: BlockKind, addr: u32) -> u32 {
        let command = match kind {
            BlockKind::Instruction => cmd::READ_INSTRUCTION,
            BlockKind::Data => cmd::READ_DATA,
        };
        self.cmd_read(addr, command)
    }

    /// Executes one instruction in context `ctx` through the debug context and waits for it
    /// (Linux `npe_debug_instr`).
    fn debug_instruction(&self, instruction: u32, ctx: u32, ldur: u32) -> Result<(), NpeError> {
        self.write_ecs(
            ecs::DBG_CTXT_REG_0,
            ecs::REG_0_ACTIVE | ldur << ecs::REG_0_LDUR_SHIFT,
        );
        self.write_ecs(
            ecs::DBG_CTXT_REG_1,
            ctx << ecs::REG_1_CCTXT_SHIFT | ctx << ecs::REG_1_SELCTXT_SHIFT,
        );
        self.command(cmd::CLEAR_PIPE);
        self.write_ecs(ecs::INSTRUCTION_REG, instruction);
        let before = self.bus.read(WATCH_COUNT);
        self.command(cmd::STEP);
        for _ in 0..POLL_LIMIT {
            if self.bus.read(WATCH_COUNT) != before {
                return Ok(());
            }
        }
        Err(NpeError::StepTimeout)
    }

    fn write_logical8(&self, addr: u32, val: u32, ctx: u32) -> Result<(), NpeError> {
        let i = instr::write_reg(instr::WRITE_REG_BYTE, addr, val & 0xFF);
        self.debug_instruction(i, ctx, 1)
    }

    fn write_logical16(&self, addr: u32, val: u32, ctx: u32) -> Result<(), NpeError> {
        let i = instr::write_reg(instr::WRITE_REG_SHORT, addr, val & 0xFFFF);
        self.debug_instruction(i, ctx, 1)
    }

    fn write_logical32(&self, addr: u32, val: u32, ctx: u32) -> Result<(), NpeError> {
        self.write_logical16(addr, val >> 16, ctx)?;
        self.write_logical16(addr + 2, val & 0xFFFF, ctx)
    }

    /// Stops the NPE immediately (no more queue or DMA activity after the current
    /// instruction). The first step of quiescing what RedBoot left running.
    pub fn stop(&mut self) {
        self.command(cmd::STOP);
        self.command(cmd::CLEAR_PIPE);
    }

    /// Soft-resets the NPE to the state Linux's `npe_reset` leaves it in: stopped, FIFOs and
    /// mailbox drained, register file and context stores cleared, execution context stack at
    /// its reset values. The EXP_CNFG2 hard-reset step is left out (write polarity disputed:
    /// older Linux `ixp4xx_npe.c` wrote the EXP_CNFG2 reset bits inverted, current Linux does not); it only power-cycles the core, which the steps here make
    /// unnecessary for reloading.
    pub fn reset(&mut self) -> Result<(), NpeError> {
        self.stop();
        let ctl = (self.bus.read(MESSAGING_CONTROL) | 0x3F00_0000) & 0x3F3F_FFFF;
        // Parity interrupt off while we poke the engine.
        self.bus.write(MESSAGING_CONTROL, ctl & 0x3F00_FFFF);

        let exec_count = self.bus.read(EXEC_COUNT);
        self.bus.write(EXEC_COUNT, 0);
        let dbg_reg2 = self.read_ecs(ecs::DBG_CTXT_REG_2);
        self.write_ecs(
            ecs::DBG_CTXT_REG_2,
            dbg_reg2 | ecs::DBG_REG_2_IF | ecs::DBG_REG_2_IE,
        );

        self.drain_fifos()?;
        self.bus.write(MAILBOX_STATUS, MAILBOX_RESET);
        self.debug_instruction(instr::RESET_MAILBOX, 0, 0)?;

        for val in 0..PHYSICAL_REGISTERS {
            self.write_logical16(logical::REGMAP, val >> 1, 0)?;
            self.write_logical32((val & 1) * 4, 0, 0)?;
        }
        // Context 0 has no STARTPC: its NEXTPC decides where the NPE starts (address 0).
        let bg0 = self.read_ecs(ecs::BG_CTXT_REG_0) & !ecs::REG_0_NEXTPC_MASK;
        self.write_ecs(ecs::BG_CTXT_REG_0, bg0);
        for ctx in 0..CONTEXTS {
            if ctx != 0 {
                self.write_logical8(logical::STEVT, 0x80, ctx)?;
                self.write_logical16(logical::STARTPC, 0, ctx)?;
            }
            self.write_logical16(logical::REGMAP, 0x0820, ctx)?;
            self.write_logical8(logical::CINDEX, 0, ctx)?;
        }

        self.write_ecs(ecs::DBG_CTXT_REG_0, 0);
        self.command(cmd::CLEAR_PIPE);
        self.bus.write(EXEC_COUNT, exec_count);
        self.write_ecs(ecs::DBG_CTXT_REG_2, dbg_reg2);
        for (register, value) in ECS_RESET {
            self.write_ecs(register, value);
        }
        self.command(cmd::CLEAR_PROFILE_COUNT);
        self.bus.write(EXEC_COUNT, 0);
        for i in 0..4 {
            self.bus.write(ACTION_POINTS + 4 * i, 0);
        }
        self.bus.write(WATCH_COUNT, 0);

        self.stop();
        self.bus.write(MESSAGING_CONTROL, ctl);
        Ok(())
    }

    fn drain_fifos(&self) -> Result<(), NpeError> {
        let mut drained = false;
        for _ in 0..POLL_LIMIT {
            if self.bus.read(WATCHPOINT_FIFO) & (1 << 31) == 0 {
                drained = true;
                break;
            }
        }
        if !drained {
            return Err(NpeError::DrainTimeout);
        }
        drained = false;
        for _ in 0..POLL_LIMIT {
            if self.bus.read(MESSAGING_STATUS) & msg_stat::OFNE == 0 {
                drained = true;
                break;
            }
            let _ = self.bus.read(IN_OUT_FIFO);
        }
        if !drained {
            return Err(NpeError::DrainTimeout);
        }
        // The in-FIFO can only be emptied from the NPE side: step "read FIFO" until empty.
        for _ in 0..POLL_LIMIT {
            if self.bus.read(MESSAGING_STATUS) & msg_stat::IFNE == 0 {
                return Ok(());
            }
            self.debug_instruction(instr::READ_FIFO, 0, 0)?;
        }
        Err(NpeError::DrainTimeout)
    }

    /// Writes a validated image into the NPE's instruction and data memories. The NPE must be
    /// stopped (call [`reset`](Self::reset) first); it is not started.
    pub fn load(&mut self, firmware: &Firmware<'_>) -> Result<(), NpeError> {
        if firmware.id().npe() != self.id as u32 {
            return Err(NpeError::Firmware(FirmwareError::WrongNpe {
                image: firmware.id(),
                expected: self.id,
            }));
        }
        if self.is_running() {
            return Err(NpeError::Running);
        }
        for block in firmware.blocks() {
            let command = match block.kind {
                BlockKind::Instruction => cmd::WRITE_INSTRUCTION,
                BlockKind::Data => cmd::WRITE_DATA,
            };
            for (addr, word) in (block.npe_addr..).zip(block.words()) {
                self.cmd_write(addr, command, word);
            }
        }
        Ok(())
    }

    /// Starts the NPE (Linux `npe_start`): priority and debug contexts inactive, pipeline
    /// cleared, START; then checks that it runs.
    pub fn start(&mut self) -> Result<(), NpeError> {
        for register in [
            ecs::PRI_1_CTXT_REG_0,
            ecs::PRI_2_CTXT_REG_0,
            ecs::DBG_CTXT_REG_0,
        ] {
            let value = self.read_ecs(register) & !ecs::REG_0_ACTIVE;
            self.write_ecs(register, value);
        }
        self.command(cmd::CLEAR_PIPE);
        self.command(cmd::START);
        if self.is_running() {
            Ok(())
        } else {
            Err(NpeError::StartFailed)
        }
    }

    /// Parses `image` for this NPE, resets the NPE, loads the image and starts it. The
    /// Ethernet microcode then posts one status message, which the Ethernet driver reads.
    pub fn boot(&mut self, image: &[u8]) -> Result<ImageId, NpeError> {
        let firmware = Firmware::parse(image, self.id)?;
        self.reset()?;
        self.load(&firmware)?;
        self.start()?;
        Ok(firmware.id())
    }

    /// Sends a two-word message (Linux `npe_send_message`).
    pub fn send_message(&mut self, message: [u32; 2]) -> Result<(), NpeError> {
        if self.bus.read(MESSAGING_STATUS) & msg_stat::IFNE != 0 {
            return Err(NpeError::InFifoBusy);
        }
        self.bus.write(IN_OUT_FIFO, message[0]);
        if self.bus.read(MESSAGING_STATUS) & msg_stat::IFNF == 0 {
            return Err(NpeError::InFifoBusy);
        }
        self.bus.write(IN_OUT_FIFO, message[1]);
        for _ in 0..POLL_LIMIT {
            if self.bus.read(MESSAGING_STATUS) & msg_stat::IFNE == 0 {
                return Ok(());
            }
        }
        Err(NpeError::SendTimeout)
    }

    /// Receives a two-word message (Linux `npe_recv_message`).
    pub fn receive_message(&mut self) -> Result<[u32; 2], NpeError> {
        let mut words = [0u32; 2];
        let mut count = 0;
        for _ in 0..POLL_LIMIT {
            if count == 2 {
                break;
            }
            if self.bus.read(MESSAGING_STATUS) & msg_stat::OFNE != 0 {
                words[count] = self.bus.read(IN_OUT_FIFO);
                count += 1;
            }
        }
        if count == 2 {
            Ok(words)
        } else {
            Err(NpeError::ReceiveTimeout)
        }
    }

    /// Sends a message and requires the NPE to echo it (Linux `npe_send_recv_message`).
    pub fn send_expect_echo(&mut self, message: [u32; 2]) -> Result<(), NpeError> {
        self.send_message(message)?;
        let received = self.receive_message()?;
        if received == message {
            Ok(())
        } else {
            Err(NpeError::UnexpectedReply {
                sent: message,
                received,
            })
        }
    }

    /// Whether the out-FIFO holds a word (polled-mode check for unsolicited messages).
    pub fn has_message(&self) -> bool {
        self.bus.read(MESSAGING_STATUS) & msg_stat::OFNE != 0
    }
}
