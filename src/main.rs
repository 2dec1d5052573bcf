#[tokio::main]
async fn main() -> anyhow::Result<()> {
    flowgraph::cli::run().await
}
