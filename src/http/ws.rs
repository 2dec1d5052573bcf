//! Websockets for subscriptions, on /graphql/ws and as an upgrade of GET /graphql. Both
//! graphql-transport-ws and the legacy graphql-ws protocol are spoken (async-graphql's
//! protocol engine); this module adds what a production server needs around it: the token
//! checked once in `connection_init`, websocket pings with dead peers dropped, a proper close
//! frame when the server shuts down, and slow consumers closed instead of waited for.
//! Subscriptions execute once per group of identical subscribers (`graphql/fanout.rs`).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::Data;
use async_graphql::http::{
    ALL_WEBSOCKET_PROTOCOLS, WebSocket as ProtocolEngine, WebSocketProtocols as Protocols, WsMessage,
};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use futures_util::{FutureExt, SinkExt, StreamExt, future};
use tokio::sync::Notify;

use super::AppState;
use crate::auth::Authentication;
use crate::graphql::SlowSubscriber;

/// How often the server pings each client; one that answers nothing for two periods is dropped.
const PING_EVERY: Duration = Duration::from_secs(20);
/// Close code 1001: the server is going away.
const GOING_AWAY: u16 = 1001;
/// Close code for a connection that opened more subscriptions than allowed.
const TOO_MANY: u16 = 4429;
/// Close code for a connection whose subscription fell further behind than its queue holds; the
/// client may resubscribe (phaseUpdates with `afterSequence` resumes without a gap).
const TOO_SLOW: u16 = 4008;
/// Messages written per flush when several are ready.
const WRITE_BATCH: usize = 64;

/// A subscription the server completed (or refused) no longer counts against the cap. Data
/// messages, nearly all of them, are told by their start and not parsed.
fn forget_finished(active: &Mutex<HashSet<String>>, text: &str) {
    if text.starts_with(r#"{"type":"next""#) || text.starts_with(r#"{"type":"data""#) {
        return;
    }
    if let Ok(message) = serde_json::from_str::<serde_json::Value>(text)
        && matches!(message["type"].as_str(), Some("complete" | "error"))
        && let (Some(id), Ok(mut open)) = (message["id"].as_str(), active.lock())
    {
        open.remove(id);
    }
}

/// The subprotocol the client offers (graphql-transport-ws when it names none we speak).
pub fn protocol(headers: &HeaderMap) -> Protocols {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|offered| offered.split(',').find_map(|p| p.trim().parse().ok()))
        .unwrap_or(Protocols::GraphQLWS)
}

pub async fn upgrade(state: AppState, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let protocol = protocol(&headers);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // Clients send only small control messages: a 4 KiB read buffer (it grows for a larger
        // one) instead of the default 128 KiB held by every idle subscriber, and no frame over
        // 1 MiB.
        .read_buffer_size(4 * 1024)
        .max_message_size(1 << 20)
        .max_frame_size(1 << 20)
        .on_upgrade(move |socket| serve(socket, state, protocol))
}

async fn serve(socket: WebSocket, state: AppState, protocol: Protocols) {
    let (mut sink, stream) = socket.split();
    let started = Instant::now();
    // Milliseconds since `started` at which the client last sent anything (a pong counts).
    let heard = Arc::new(AtomicU64::new(0));
    let heard_in = heard.clone();
    // Subscriptions this connection has open, capped: one socket must not pin a thousand watchers.
    let active = Arc::new(Mutex::new(HashSet::<String>::new()));
    let over_cap = Arc::new(Notify::new());
    let (active_in, over_cap_in, cap) = (
        active.clone(),
        over_cap.clone(),
        state.limits.max_subscriptions_per_connection,
    );
    let input = stream
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(move |message| {
            heard_in.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
            let data = match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            };
            if let Some(bytes) = &data
                && let Ok(message) = serde_json::from_slice::<serde_json::Value>(bytes)
                && let (Some(kind), Some(id)) = (message["type"].as_str(), message["id"].as_str())
                && let Ok(mut open) = active_in.lock()
            {
                match kind {
                    "subscribe" | "start" if open.len() >= cap && !open.contains(id) => {
                        over_cap_in.notify_one();
                        return future::ready(None);
                    }
                    "subscribe" | "start" => {
                        open.insert(id.to_string());
                    }
                    "complete" | "stop" => {
                        open.remove(id);
                    }
                    _ => {}
                }
            }
            future::ready(data)
        });
    let keys = state.keys.clone();
    let slow = SlowSubscriber::default();
    let slow_in = slow.clone();
    let engine = ProtocolEngine::new(state.subscriptions.clone(), input, protocol).on_connection_init(
        move |payload| async move {
            // Browsers cannot set headers on a websocket: the token travels in connection_init.
            let header = ["authorization", "Authorization"]
                .iter()
                .find_map(|k| payload.get(*k)?.as_str());
            match keys.authenticate(header) {
                authenticated @ Authentication::Authenticated(_) => {
                    let mut data = Data::default();
                    data.insert(authenticated);
                    data.insert(slow_in);
                    Ok(data)
                }
                refused => Err(async_graphql::Error::new(match refused.context() {
                    Err(err) => err.message().to_string(),
                    Ok(_) => unreachable!("only failures reach here"),
                })),
            }
        },
    );
    futures_util::pin_mut!(engine);
    let mut stopping = state.orchestrator.stopping();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    // A write the peer has not taken in this long means a socket that does not drain.
    let write_timeout = state.limits.ws_write_timeout;
    let to_frame = |outgoing: WsMessage| match outgoing {
        WsMessage::Text(text) => {
            forget_finished(&active, &text);
            Message::Text(text.into())
        }
        WsMessage::Close(code, reason) => Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })),
    };
    // Why the server ends the connection, if it sends a close frame: code, reason, and how long
    // to wait for the frame to go out (briefly for a peer that is already behind).
    let close = loop {
        tokio::select! {
            outgoing = engine.next() => {
                let Some(outgoing) = outgoing else { break None };
                // What else is ready goes out in the same write.
                let mut batch = vec![to_frame(outgoing)];
                while batch.len() < WRITE_BATCH
                    && let Some(Some(more)) = engine.next().now_or_never()
                {
                    batch.push(to_frame(more));
                }
                let write = async {
                    for message in batch {
                        sink.feed(message).await?;
                    }
                    sink.flush().await
                };
                match tokio::time::timeout(write_timeout, write).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => break None,
                    Err(_) => {
                        tracing::info!("dropping a websocket whose peer stopped reading");
                        state.metrics.slow_subscriber_closed();
                        break None;
                    }
                }
            }
            _ = ping.tick() => {
                let silent = started.elapsed().as_millis() as u64 - heard.load(Ordering::Relaxed);
                if silent > 2 * PING_EVERY.as_millis() as u64 {
                    tracing::info!("dropping a websocket that stopped answering pings");
                    break None;
                }
                match tokio::time::timeout(write_timeout, sink.send(Message::Ping(Default::default()))).await {
                    Ok(Ok(())) => {}
                    _ => break None,
                }
            }
            _ = slow.0.notified() => {
                tracing::info!("closing a websocket whose subscription fell behind");
                state.metrics.slow_subscriber_closed();
                break Some((TOO_SLOW, "subscriber too slow; resubscribe", Duration::from_secs(1)));
            }
            _ = over_cap.notified() => break Some((TOO_MANY, "too many subscriptions on one connection", write_timeout)),
            _ = stopping.changed() => break Some((GOING_AWAY, "server shutting down", write_timeout)),
        }
    };
    if let Some((code, reason, wait)) = close {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = tokio::time::timeout(wait, sink.send(Message::Close(Some(frame)))).await;
    }
    let _ = tokio::time::timeout(write_timeout, sink.close()).await;
}
