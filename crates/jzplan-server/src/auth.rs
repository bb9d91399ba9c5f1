//! Bearer tokens for the endpoints that change data. The token file lives outside the
//! repository and holds only SHA-256 hashes, one `NAME HEX` pair per line (`#` comments), so a
//! leaked file does not leak tokens. Create a line with
//! `printf '%s' "$TOKEN" | sha256sum | sed "s/ .*//;s/^/alice /"`.

use super::AppState;
use super::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jzplan_core::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Hashes of the accepted tokens, with the name of who holds each.
#[derive(Clone, Debug, Default)]
pub struct TokenStore {
    entries: Vec<(String, [u8; 32])>,
}

/// SHA-256 of a token, as lowercase hex.
pub fn hash_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

impl TokenStore {
    /// A store with one `name` holding a token whose hash is `hash_hex`.
    pub fn add_hash(&mut self, name: &str, hash_hex: &str) -> Result<()> {
        let h = parse_hex32(hash_hex.trim()).ok_or_else(|| {
            Error::invalid(format!("token hash for '{name}' is not 64 hex digits"))
        })?;
        self.entries.push((name.to_string(), h));
        Ok(())
    }

    /// Reads a token file (`NAME SHA256HEX` per line).
    pub fn from_file(path: &Path) -> Result<TokenStore> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut s = TokenStore::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut it = line.split_whitespace();
            let (Some(name), Some(hash), None) = (it.next(), it.next(), it.next()) else {
                return Err(Error::file(
                    path,
                    format!("line {}", i + 1),
                    "expected 'NAME SHA256HEX'",
                ));
            };
            parse_hex32(hash).ok_or_else(|| {
                Error::file(
                    path,
                    format!("line {}", i + 1),
                    "hash must be 64 hex digits (sha256 of the token)",
                )
            })?;
            s.add_hash(name, hash)?;
        }
        Ok(s)
    }

    /// The holder of `token`, if it is accepted. Compares every hash in constant time.
    pub fn check(&self, token: &str) -> Option<&str> {
        let h: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        for (name, want) in &self.entries {
            let diff = want
                .iter()
                .zip(h.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 {
                found = Some(name.as_str());
            }
        }
        found
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No tokens configured (every change is refused).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The token of an `Authorization` value `Bearer <token>`, the scheme in any case (RFC 7235
/// §2.1); `None` for another scheme, no token or a value that is not text.
pub fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let (scheme, token) = value.to_str().ok()?.trim().split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The caller, authenticated by `Authorization: Bearer <token>`: no bearer token (no header,
/// another scheme such as `Basic`) → 401 with `WWW-Authenticate: Bearer`, a token that is not
/// in the store → 403.
#[derive(Clone, Debug)]
pub struct Authorized(pub String);

impl FromRequestParts<AppState> for Authorized {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Self::Rejection> {
        let Some(token) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(bearer_token)
        else {
            let mut r = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "this request changes data and needs 'Authorization: Bearer <token>'",
            )
            .into_response();
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"jzplan\""),
            );
            return Err(r);
        };
        match state.config.tokens.check(token) {
            Some(name) => Ok(Authorized(name.to_string())),
            _ => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "the bearer token is not accepted",
            )
            .into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_other_schemes_have_no_token() {
        let t = |v: &'static str| bearer_token(&HeaderValue::from_static(v)).map(String::from);
        assert_eq!(t("Bearer s3cret").as_deref(), Some("s3cret"));
        assert_eq!(t("bearer s3cret").as_deref(), Some("s3cret"));
        assert_eq!(t("BEARER  s3cret ").as_deref(), Some("s3cret"));
        assert_eq!(t("Basic abc"), None);
        assert_eq!(t("Bearer"), None);
        assert_eq!(t("Bearer "), None);
        assert_eq!(t("Bearers3cret"), None);
        assert_eq!(t(""), None);
    }

    #[test]
    fn checks_hashed_tokens() {
        let mut s = TokenStore::default();
        s.add_hash("alice", &hash_hex("s3cret")).unwrap();
        assert_eq!(s.check("s3cret"), Some("alice"));
        assert_eq!(s.check("s3cret "), None);
        assert_eq!(s.check(""), None);
        assert!(s.add_hash("bob", "xyz").is_err());
        assert_eq!(
            hash_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
