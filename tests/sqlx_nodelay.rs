//! sqlx sets TCP_NODELAY on PostgreSQL sockets (0.9.0 did not; 0.9.1 does again). Without it, a
//! statement whose messages take several writes (a 1,000-id `= ANY($1)` bind, a multi-row INSERT)
//! waits ~40 ms for the server's delayed ACK. This test fails if an sqlx upgrade loses the option.
//!
//! It reads the socket option itself, which no load on the machine can blur: PostgreSQL tells the
//! client port of the connection (`inet_client_port()`), and the test finds the socket in this
//! process with that local port. Then it checks the symptom too, with a 100-fold margin.

use std::os::fd::BorrowedFd;

use sqlx::{Connection, PgConnection};

#[tokio::test]
async fn postgres_sockets_have_tcp_nodelay() {
    let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped");
        return;
    };
    let mut connection = PgConnection::connect(&url).await.expect("TEST_DATABASE_URL connects");
    let port: Option<i32> = sqlx::query_scalar("SELECT inet_client_port()")
        .fetch_one(&mut connection)
        .await
        .expect("client port");
    let Some(port) = port else {
        eprintln!("connected over a Unix socket: TCP_NODELAY does not apply");
        return;
    };
    let mut checked = 0;
    for entry in std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd") {
        let Ok(fd) = entry.expect("fd entry").file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        // SAFETY: the borrow lives for two read-only socket calls; an fd another test closes
        // meanwhile just makes them fail (EBADF), which skips it.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let socket = socket2::SockRef::from(&fd);
        let local = socket.local_addr().ok().and_then(|a| a.as_socket());
        if local.is_some_and(|a| a.port() == port as u16) && socket.peer_addr().is_ok() {
            assert!(
                socket.tcp_nodelay().expect("TCP_NODELAY readable"),
                "sqlx opened the PostgreSQL socket without TCP_NODELAY: an sqlx upgrade lost the option"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 1, "found the connection's socket (client port {port})");

    // And the symptom, with a wide margin: binding 1,000 ids takes ~0.2 ms with the option and a
    // steady ~44 ms without it (measured here on 2026-12-02); the median of 11 shrugs off a
    // scheduling hiccup on a busy machine.
    let ids: Vec<uuid::Uuid> = (0..1000).map(|_| uuid::Uuid::new_v4()).collect();
    let mut millis = Vec::new();
    for _ in 0..11 {
        let clock = std::time::Instant::now();
        let bound: Option<i32> = sqlx::query_scalar("SELECT cardinality($1::uuid[])")
            .bind(&ids)
            .fetch_one(&mut connection)
            .await
            .expect("a 1,000-id bind");
        millis.push(clock.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(bound, Some(1000));
    }
    millis.sort_by(f64::total_cmp);
    assert!(
        millis[5] < 20.0,
        "median {:.1} ms for a 1,000-id bind: {millis:?}",
        millis[5]
    );
}
