//! How the `hq-server` process keeps freed memory (glibc allocator settings).

/// Keeps freed heap memory in the process for reuse instead of handing every large block back
/// to the OS. A large report builds about 200 MB of rows: with glibc's defaults each such block
/// is a fresh `mmap`, so every call faults all its pages in again, which was about half of a
/// 10M-line `--by org,product` report (BENCHMARKS.md, "bench reports"). The cost: the process's
/// resident size stays at its peak instead of shrinking after a large report.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes the allocator's parameters, under its own locks; it takes
    // no pointers and may be called at any time from any thread.
    unsafe {
        // Large blocks come from the heap, not from their own mappings...
        libc::mallopt(libc::M_MMAP_MAX, 0);
        // ...and freed memory at the top of the heap is kept.
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}
