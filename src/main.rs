fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(flowgraph::cli::run())
}

/// glibc gives each thread that allocates its own malloc arena (up to eight per core), and
/// memory freed in one stays with it. Phases run their agents on tokio's blocking threads, a
/// batch at a time, so without a cap the server's resident memory grows by what every arena
/// once held: at 100,000 rows the peak went from 458 MB (two arenas) to 682 MB (the default).
/// Set before any thread starts; `MALLOC_ARENA_MAX` in the environment still wins over it.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // M_ARENA_MAX from glibc's malloc.h.
        const M_ARENA_MAX: i32 = -8;
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            // SAFETY: mallopt only sets a tuning parameter of the allocator; nothing else runs yet.
            unsafe {
                mallopt(M_ARENA_MAX, 2);
            }
        }
    }
}
