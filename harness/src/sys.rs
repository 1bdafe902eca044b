//! The harness's only door to the operating system below `std`: every `libc` call (clocks,
//! signals and their handlers, `wait4`, process groups and the parent-death signal, `flock`,
//! non-blocking opens, `uname`, page-cache residency and eviction, the I²C slave ioctl, the
//! worker's descriptor swap) sits here behind a safe function, so `unsafe` lives in one
//! reviewed file (the crate denies `unsafe_code` everywhere else).

use std::fs::File;
use std::io;
use std::os::unix::io::{AsRawFd, FromRawFd};

fn clock_ns(clock: libc::clockid_t) -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes into the timespec we pass.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// Nanoseconds on CLOCK_MONOTONIC (system-wide, so comparable across processes).
pub fn monotonic_ns() -> u64 {
    // CLOCK_MONOTONIC always exists on Linux.
    clock_ns(libc::CLOCK_MONOTONIC).unwrap_or(0)
}

/// CPU time of the calling thread, ns.
pub fn thread_cpu_ns() -> Option<u64> {
    clock_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// SIGKILL to a child that has not been reaped yet (so its pid cannot have been reused), and
/// to its process group (the worker leads its own, see [`worker_command`]), so whatever it
/// started ends with it.
pub fn kill_child(pid: u32) {
    // SAFETY: sending a signal has no memory effects; the pid is our own unreaped child, so
    // neither it nor the group it leads can belong to anyone else.
    unsafe {
        libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
    }
}

/// Make `cmd` start a worker that dies with its parent: it leads its own process group (so the
/// parent can end it and anything it started at once, and a terminal's Ctrl-C reaches only
/// the parent, which then ends the worker itself) and gets SIGKILL when the parent dies
/// (`PR_SET_PDEATHSIG`), even of SIGKILL.
pub fn worker_command(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    // SAFETY: getpid is async-signal-safe.
    let parent = unsafe { libc::getpid() };
    let set_death_signal = move || {
        // SAFETY: prctl, getppid and raise are async-signal-safe and touch no memory of ours,
        // as a pre_exec hook requires.
        unsafe {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent died between fork and prctl: the signal will never come, so go now.
            if libc::getppid() != parent {
                libc::raise(libc::SIGKILL);
            }
        }
        Ok(())
    };
    // SAFETY: the hook only makes the async-signal-safe calls above.
    unsafe { cmd.pre_exec(set_death_signal) };
}

/// The signal that asked this process to stop (0: none yet).
static STOP_SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn on_stop_signal(sig: libc::c_int) {
    // An atomic swap is async-signal-safe.
    if STOP_SIGNAL.swap(sig, std::sync::atomic::Ordering::SeqCst) != 0 {
        // A second signal: the user insists, so die of it now (workers die with us).
        // SAFETY: signal and raise are async-signal-safe; SIG_DFL is a valid disposition.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }
}

/// From now on SIGINT, SIGTERM and SIGHUP do not end the process: they are recorded, and
/// [`stop_signal`] returns the first one, so a run can end its worker, keep its finished points
/// and exit 128 + the signal. A second one ends the process at once, as if never caught.
pub fn catch_stop_signals() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: an all-zero sigaction is valid; we set a handler that only stores an atomic
        // (async-signal-safe) and an empty mask before installing it.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_stop_signal as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = libc::SA_RESTART;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// The first SIGINT/SIGTERM/SIGHUP received since [`catch_stop_signals`], if any.
pub fn stop_signal() -> Option<i32> {
    match STOP_SIGNAL.load(std::sync::atomic::Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// `SIGINT`, `SIGTERM` (exit codes 130 and 143 are 128 + these).
pub const SIGINT: i32 = libc::SIGINT;
pub const SIGTERM: i32 = libc::SIGTERM;

/// Open `path` for reading without ever blocking: a FIFO with no writer or a device opens at
/// once (`O_NONBLOCK`) and the caller can refuse it by its type (`File::metadata`).
pub fn open_nonblocking(path: &std::path::Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

/// An exclusive `flock` on `file` without waiting: `Ok(false)` when another process holds it.
/// The lock lasts as long as the descriptor is open (and ends with the process).
pub fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    // SAFETY: flock on a descriptor `file` keeps open; no memory is involved.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// How a reaped child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildExit {
    Code(i32),
    Signal(i32),
}

/// Wait for the child `pid` (retrying on EINTR); its exit and peak RSS (`ru_maxrss`) in bytes.
/// `None` when waiting failed (the child was reaped elsewhere).
pub fn wait_child(pid: u32) -> Option<(ChildExit, Option<u64>)> {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 overwrites it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid out-pointers to a status int and a rusage we own.
        let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
        if r == pid as libc::pid_t {
            break;
        }
        if r == -1 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return None;
        }
    }
    let exit = if libc::WIFSIGNALED(status) {
        ChildExit::Signal(libc::WTERMSIG(status))
    } else {
        ChildExit::Code(libc::WEXITSTATUS(status))
    };
    let peak = (usage.ru_maxrss > 0).then(|| usage.ru_maxrss as u64 * 1024);
    Some((exit, peak))
}

/// `SIGKILL`'s number (for reading exit statuses).
pub const SIGKILL: i32 = libc::SIGKILL;

/// Human name of a signal: `signal 9 (SIGKILL)`.
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGKILL => "SIGKILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGHUP => "SIGHUP",
        _ => return format!("signal {sig}"),
    };
    format!("signal {sig} ({name})")
}

/// `uname`: (sysname, "release version").
pub fn uname() -> Option<(String, String)> {
    // SAFETY: utsname is plain old data; an all-zero value is valid and uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a utsname we own.
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let s = |f: &[libc::c_char]| {
        // SAFETY: uname NUL-terminates each field within its array.
        unsafe { std::ffi::CStr::from_ptr(f.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    Some((
        s(&u.sysname),
        format!("{} {}", s(&u.release), s(&u.version)),
    ))
}

/// Fraction of the first `len` bytes of `file` resident in the page cache (`mincore`).
pub fn resident_fraction(file: &File, len: usize) -> Option<f64> {
    if len == 0 {
        return Some(0.0);
    }
    let page = 4096usize;
    // SAFETY: a read-only shared mapping of a file we hold open; unmapped before returning.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return None;
    }
    let pages = len.div_ceil(page);
    let mut vec = vec![0u8; pages];
    // SAFETY: `vec` holds one byte per page of the mapping, as mincore requires.
    let rc = unsafe { libc::mincore(addr, len, vec.as_mut_ptr()) };
    // SAFETY: unmapping exactly the mapping created above.
    unsafe { libc::munmap(addr, len) };
    (rc == 0).then(|| vec.iter().filter(|&&b| b & 1 == 1).count() as f64 / pages as f64)
}

/// `fdatasync` then `posix_fadvise(DONTNEED)` over the whole file; 0 or the errno.
pub fn evict_from_page_cache(file: &File) -> i32 {
    // SAFETY: plain syscalls on a descriptor `file` keeps open.
    unsafe {
        libc::fdatasync(file.as_raw_fd());
        libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED)
    }
}

/// `I2C_SLAVE` from `<linux/i2c-dev.h>`.
const I2C_SLAVE: libc::c_ulong = 0x0703;

/// Point an open `/dev/i2c-N` at the slave `address`.
pub fn i2c_set_slave(file: &File, address: u16) -> io::Result<()> {
    // SAFETY: I2C_SLAVE takes the address as an integer argument; the fd is open for the call.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), I2C_SLAVE as _, address as libc::c_ulong) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// A private duplicate of the original stdout; file descriptor 1 then points at stderr, so
/// a runtime that prints to stdout (C++ libraries do) cannot corrupt what is written to the
/// returned file. Falls back to a duplicate of stderr when stdout cannot be duplicated.
pub fn take_stdout() -> File {
    // SAFETY: dup/dup2 on the process's own standard descriptors; each duplicate is owned by
    // the returned File and nothing else closes it.
    unsafe {
        let fd = libc::dup(1);
        if fd < 0 {
            return File::from_raw_fd(libc::dup(2));
        }
        libc::dup2(2, 1);
        File::from_raw_fd(fd)
    }
}
