//! A small websocket GraphQL client: graphql-transport-ws, or the legacy graphql-ws protocol.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::helpers::TestApp;

type Socket = tokio_tungstenite::WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Protocol {
    TransportWs,
    LegacyGraphqlWs,
}

pub struct WsClient {
    socket: Socket,
    protocol: Protocol,
}

/// What the server said to a subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    Data(String, Value),
    Error(String, Value),
    Complete(String),
    Closed(Option<u16>),
    Nothing,
}

/// The upgrade request for `url`, offering the protocol's name.
fn request(url: &str, protocol: Protocol) -> Request {
    let mut request = url.into_client_request().unwrap();
    let name = match protocol {
        Protocol::TransportWs => "graphql-transport-ws",
        Protocol::LegacyGraphqlWs => "graphql-ws",
    };
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(name));
    request
}

impl WsClient {
    /// Connects and initialises the connection; `Err` carries the server's refusal.
    pub async fn connect(url: &str, protocol: Protocol, token: Option<&str>) -> Result<WsClient, String> {
        let (socket, _) = tokio_tungstenite::connect_async(request(url, protocol))
            .await
            .map_err(|e| e.to_string())?;
        WsClient::init(socket, protocol, token).await
    }

    /// `connect` over a TCP connection the caller made (with a small receive window, say).
    pub async fn connect_over(
        stream: tokio::net::TcpStream,
        url: &str,
        protocol: Protocol,
        token: Option<&str>,
    ) -> Result<WsClient, String> {
        let (socket, _) = tokio_tungstenite::client_async(request(url, protocol), MaybeTlsStream::Plain(stream))
            .await
            .map_err(|e| e.to_string())?;
        WsClient::init(socket, protocol, token).await
    }

    /// connection_init with the token, then its ack.
    async fn init(socket: Socket, protocol: Protocol, token: Option<&str>) -> Result<WsClient, String> {
        let mut client = WsClient { socket, protocol };
        let payload = match token {
            Some(token) => json!({ "authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        loop {
            match client.raw(Duration::from_secs(10)).await {
                Some(Ok(message)) if message["type"] == "connection_ack" => return Ok(client),
                Some(Ok(message)) if message["type"] == "ka" => continue,
                Some(Ok(message)) => return Err(message.to_string()),
                Some(Err(close)) => return Err(close),
                None => return Err("no answer to connection_init".into()),
            }
        }
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = match self.protocol {
            Protocol::TransportWs => "subscribe",
            Protocol::LegacyGraphqlWs => "start",
        };
        self.send(json!({ "id": id, "type": kind, "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next JSON message (answering pings), or `Err` with the close frame's code and reason.
    async fn raw(&mut self, wait: Duration) -> Option<Result<Value, String>> {
        loop {
            let message = tokio::time::timeout(wait, self.socket.next()).await.ok()??;
            match message {
                Ok(Message::Text(text)) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(Ok(value));
                }
                Ok(Message::Close(frame)) => {
                    return Some(Err(
                        frame.map_or("closed".into(), |f| format!("{} {}", u16::from(f.code), f.reason))
                    ));
                }
                Ok(_) => continue,
                Err(err) => return Some(Err(err.to_string())),
            }
        }
    }

    pub async fn next(&mut self, wait: Duration) -> Received {
        loop {
            match self.raw(wait).await {
                None => return Received::Nothing,
                Some(Err(close)) => return Received::Closed(close.split(' ').next().and_then(|c| c.parse().ok())),
                Some(Ok(message)) => {
                    let id = message["id"].as_str().unwrap_or_default().to_string();
                    match message["type"].as_str().unwrap_or_default() {
                        "next" | "data" => {
                            let payload = &message["payload"];
                            // A subscription refused at its start answers with errors and no data.
                            if payload["data"].is_null() && payload["errors"].is_array() {
                                return Received::Error(id, payload["errors"].clone());
                            }
                            return Received::Data(id, payload["data"].clone());
                        }
                        "error" => return Received::Error(id, message["payload"].clone()),
                        "complete" => return Received::Complete(id),
                        _ => continue, // ka
                    }
                }
            }
        }
    }

    /// Every data payload of subscription `id` until it completes (panics after `wait` of silence).
    pub async fn until_complete(&mut self, id: &str, wait: Duration) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            match self.next(wait).await {
                Received::Data(from, payload) if from == id => all.push(payload),
                Received::Complete(from) if from == id => return all,
                Received::Data(..) | Received::Complete(_) => {}
                other => panic!("subscription {id} ended with {other:?} after {} events", all.len()),
            }
        }
    }
}

// Here rather than in helpers.rs, which tests/browser compiles too, without this client.
impl TestApp {
    /// A graphql-transport-ws connection as `token` (initialised and acknowledged), with
    /// subscription `id` to `query` opened on it; `WsClient::subscribe` opens more.
    pub async fn subscribe(&self, token: &str, id: &str, query: &str, variables: Value) -> WsClient {
        let mut ws = WsClient::connect(&self.ws_url(), Protocol::TransportWs, Some(token))
            .await
            .expect("the websocket connection is accepted");
        ws.subscribe(id, query, variables).await;
        ws
    }
}
