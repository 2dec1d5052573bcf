//! Bearer tokens (HS256 JWT) and the `RequestContext` they become.

use std::fmt;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::Role;
use crate::error::{AppError, AppResult};

/// The claims flowgraph reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub client_account_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement_id: Option<Uuid>,
    pub role: Role,
    pub exp: i64,
}

/// Who is asking, on behalf of which tenant, with which role. Every orchestrator call takes one.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub user_id: Uuid,
    pub client_account_id: Uuid,
    /// When set, the token sees only this engagement of its client account.
    pub engagement_id: Option<Uuid>,
    pub role: Role,
}

impl From<Claims> for RequestContext {
    fn from(c: Claims) -> Self {
        RequestContext {
            user_id: c.sub,
            client_account_id: c.client_account_id,
            engagement_id: c.engagement_id,
            role: c.role,
        }
    }
}

impl RequestContext {
    pub fn require_write(&self) -> AppResult<()> {
        if self.role.can_write() {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("the {} role may only read", self.role)))
        }
    }

    pub fn require_delete(&self) -> AppResult<()> {
        if self.role.can_delete() {
            Ok(())
        } else {
            Err(AppError::Forbidden("only an admin may delete flows".into()))
        }
    }
}

/// The outcome of reading a request's `Authorization` header; resolvers turn the failures into
/// `UNAUTHENTICATED`, so an anonymous client can still introspect the schema.
#[derive(Debug, Clone)]
pub enum Authentication {
    Authenticated(RequestContext),
    Missing,
    Invalid(String),
}

impl Authentication {
    pub fn context(&self) -> AppResult<&RequestContext> {
        match self {
            Authentication::Authenticated(ctx) => Ok(ctx),
            Authentication::Missing => Err(AppError::Unauthenticated(
                "missing token: send `Authorization: Bearer <token>`".into(),
            )),
            Authentication::Invalid(why) => Err(AppError::Unauthenticated(format!("invalid token: {why}"))),
        }
    }
}

/// The HS256 signing secret and the keys made from it. `Debug` never shows the secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtKeys([redacted])")
    }
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// A fresh random secret: 244 bits from two v4 UUIDs (the OS random source), hex-encoded.
    pub fn generate_secret() -> String {
        format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
    }

    pub fn issue(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => "the token has expired".to_string(),
                jsonwebtoken::errors::ErrorKind::InvalidSignature => "bad signature".to_string(),
                jsonwebtoken::errors::ErrorKind::Json(_) | jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(_) => {
                    "the claims are not flowgraph's (sub, client_account_id, role, exp)".to_string()
                }
                _ => "malformed token".to_string(),
            })
    }

    /// Reads an `Authorization` header value.
    pub fn authenticate(&self, header: Option<&str>) -> Authentication {
        let Some(value) = header else {
            return Authentication::Missing;
        };
        let Some(token) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) else {
            return Authentication::Invalid("expected `Bearer <token>`".into());
        };
        match self.verify(token.trim()) {
            Ok(claims) => Authentication::Authenticated(claims.into()),
            Err(why) => Authentication::Invalid(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(role: Role, exp: i64) -> Claims {
        Claims {
            sub: Uuid::new_v4(),
            client_account_id: Uuid::new_v4(),
            engagement_id: None,
            role,
            exp,
        }
    }

    #[test]
    fn round_trip_and_forgery() {
        let keys = JwtKeys::new(b"secret-one");
        let exp = chrono::Utc::now().timestamp() + 600;
        let token = keys.issue(&claims(Role::Viewer, exp)).unwrap();
        assert!(matches!(
            keys.authenticate(Some(&format!("Bearer {token}"))),
            Authentication::Authenticated(_)
        ));

        let other = JwtKeys::new(b"secret-two");
        assert!(matches!(
            other.authenticate(Some(&format!("Bearer {token}"))),
            Authentication::Invalid(_)
        ));
        assert!(matches!(keys.authenticate(Some(&token)), Authentication::Invalid(_)));
        assert!(matches!(keys.authenticate(None), Authentication::Missing));
    }

    #[test]
    fn expired_tokens_are_refused() {
        let keys = JwtKeys::new(b"secret");
        let token = keys
            .issue(&claims(Role::Admin, chrono::Utc::now().timestamp() - 3600))
            .unwrap();
        match keys.authenticate(Some(&format!("Bearer {token}"))) {
            Authentication::Invalid(why) => assert!(why.contains("expired")),
            other => panic!("{other:?}"),
        }
    }
}
