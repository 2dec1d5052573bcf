/// `schema.graphql` is what `flowgraph schema` prints; regenerate it with
/// `cargo run -- schema > schema.graphql` when the API changes.
#[test]
fn schema_file_matches_the_code() {
    let on_disk = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        on_disk == flowgraph::graphql::sdl(),
        "schema.graphql drifted from the code: run `cargo run -- schema > schema.graphql`"
    );
}
