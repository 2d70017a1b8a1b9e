//! The `chatsim` binary: everything, the exit codes included, is in [`chatsim::cli::main`].
//! Only the allocator is here, since a library must not choose it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;

/// The system allocator, except that running out of memory (an allocation refused, e.g.
/// under `ulimit -v`) ends the process with one line on stderr and exit code 2, like any
/// other limit, instead of Rust's abort (exit 134). chatsim never asks for memory it can
/// do without (no `try_reserve`), so a refused allocation is always fatal.
struct ExitWhenOutOfMemory;

// SAFETY: every call is forwarded to `System` with the same arguments; only a null result
// is intercepted, and then the process ends.
unsafe impl GlobalAlloc for ExitWhenOutOfMemory {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: ExitWhenOutOfMemory = ExitWhenOutOfMemory;

/// Tells what happened without allocating (stderr is unbuffered; integers format in
/// place) and ends the process at once: exit handlers could allocate again.
#[cold]
fn out_of_memory(bytes: usize) -> ! {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "error: out of memory: an allocation of {bytes} bytes was refused; hold less at once \
         (fewer --threads, --replications or agents) or raise the memory \
         limit (ulimit -v)"
    );
    exit_now(2)
}

#[cfg(unix)]
fn exit_now(code: i32) -> ! {
    extern "C" {
        fn _exit(status: std::ffi::c_int) -> !;
    }
    // SAFETY: _exit(2) ends the process without running anything else.
    unsafe { _exit(code) }
}

#[cfg(not(unix))]
fn exit_now(code: i32) -> ! {
    std::process::exit(code)
}

fn main() -> ExitCode {
    chatsim::cli::main()
}
