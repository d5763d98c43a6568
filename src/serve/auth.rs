//! Who may do what: with `VITALS_SERVE_TOKEN` set, a change needs it as a
//! bearer token (never a cookie, and never Basic credentials a browser
//! would send on its own to another site's form); with `--private` every
//! request needs it, where a browser may give it as Basic credentials
//! (any user name) so that the page can be opened at all.

use base64::Engine as _;

use crate::config::Secret;

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Read,
    Change,
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No token, or the wrong one: 401.
    Unauthorized,
    /// No token is set, so nothing can be changed here: 403.
    ReadOnly,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Unauthorized => {
                "a valid token is needed: send it as Authorization: Bearer <VITALS_SERVE_TOKEN>"
            }
            Refusal::ReadOnly => {
                "this server is read-only: set VITALS_SERVE_TOKEN to acknowledge and resolve alerts here"
            }
        }
    }
}

/// Whether a request with this `Authorization` header may do what it wants.
pub fn allow(
    token: Option<&Secret>,
    private: bool,
    want: Want,
    authorization: Option<&str>,
) -> Result<(), Refusal> {
    let Some(token) = token else {
        return match want {
            Want::Read => Ok(()),
            Want::Change => Err(Refusal::ReadOnly),
        };
    };
    if want == Want::Read && !private {
        return Ok(());
    }
    let given = authorization.and_then(|header| {
        let (scheme, rest) = header.trim().split_once(' ')?;
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            Some(rest.as_bytes().to_vec())
        } else if scheme.eq_ignore_ascii_case("basic") && want == Want::Read {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .ok()?;
            let colon = decoded.iter().position(|b| *b == b':')?;
            Some(decoded[colon + 1..].to_vec())
        } else {
            None
        }
    });
    match given {
        Some(given) if same(&given, token.expose().as_bytes()) => Ok(()),
        _ => Err(Refusal::Unauthorized),
    }
}

/// Compares in time that depends only on the lengths, so that timing does
/// not tell how much of a guess was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn token() -> Secret {
        let source = HashMap::from([("VITALS_SERVE_TOKEN", "s3cret-token")]);
        crate::settings::serve_token(&source)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("set"))
    }

    #[test]
    fn without_a_token_reads_are_open_and_changes_refused() {
        assert_eq!(allow(None, false, Want::Read, None), Ok(()));
        assert_eq!(
            allow(None, false, Want::Change, Some("Bearer x")),
            Err(Refusal::ReadOnly)
        );
    }

    #[test]
    fn changes_need_the_bearer_token() {
        let t = token();
        assert_eq!(allow(Some(&t), false, Want::Read, None), Ok(()));
        assert_eq!(
            allow(Some(&t), false, Want::Change, Some("Bearer s3cret-token")),
            Ok(())
        );
        assert_eq!(
            allow(Some(&t), false, Want::Change, Some("bearer  s3cret-token ")),
            Ok(())
        );
        for bad in [
            None,
            Some("Bearer s3cret-tokeN"),
            Some("Bearer s3cret-token2"),
            Some("Bearer"),
            Some("s3cret-token"),
            // Basic credentials are a browser's to send by itself: not for changes.
            Some("Basic eDpzM2NyZXQtdG9rZW4="),
        ] {
            assert_eq!(
                allow(Some(&t), false, Want::Change, bad),
                Err(Refusal::Unauthorized),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn private_reads_take_bearer_or_basic() {
        let t = token();
        assert_eq!(
            allow(Some(&t), true, Want::Read, None),
            Err(Refusal::Unauthorized)
        );
        assert_eq!(
            allow(Some(&t), true, Want::Read, Some("Bearer s3cret-token")),
            Ok(())
        );
        // x:s3cret-token
        assert_eq!(
            allow(
                Some(&t),
                true,
                Want::Read,
                Some("Basic eDpzM2NyZXQtdG9rZW4=")
            ),
            Ok(())
        );
        assert_eq!(
            allow(Some(&t), true, Want::Read, Some("Basic eDp3cm9uZw==")),
            Err(Refusal::Unauthorized)
        );
    }
}
