//! API tests against the real server over HTTP, each on SQLite and PostgreSQL.

mod helpers;

mod discovery;
mod exports;
mod fanout;
mod flows;
mod input;
mod isolation;
mod lifecycle;
mod limits;
mod live;
mod load;
mod rest;
mod rest_client;
mod rest_legacy;
mod row_security;
mod schema;
mod static_files;
mod streaming;
mod tenancy;
mod workbooks;
mod written_dependencies;
mod ws_client;
