//! Paging: `maxPageSize`, `skip`, `startTime`, the opaque `syncState`
//! continuation token, and absolute `nextLink`s.
//!
//! Like the service:
//!
//! * `maxPageSize` defaults to 200 and is capped at 200; below 1 is a 400;
//! * messages and threads page with `syncState` (hex, like the service's;
//!   here it encodes the position after the last item returned) and keep
//!   `startTime` and `maxPageSize`:
//!   `{base}/chat/threads/{id}/messages?syncState=..&startTime=..&maxPageSize=..&api-version=..`;
//! * participants and read receipts page with `skip`:
//!   `{base}/chat/threads/{id}/participants?skip=..&maxPageSize=..&api-version=..`;
//! * `nextLink` is absent on the last page. The thread id appears raw in the
//!   link's path, as in the service's links; `{base}` is the scheme and the
//!   request's `Host`.

use chrono::{DateTime, Utc};

use crate::error::ApiError;

use super::errors::bad_request;
use super::ids::to_millis;
use super::MAX_PAGE_SIZE;

/// Separator inside a continuation token.
const TOKEN_SEPARATOR: char = '\u{1f}';

/// Paging parameters of a list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageQuery {
    /// Items per page (1..=200).
    pub(crate) max_page_size: usize,
    /// `skip` (participants and read receipts).
    pub(crate) skip: usize,
    /// `startTime`, epoch milliseconds.
    pub(crate) start_time: Option<u64>,
    /// The raw `startTime` text, carried into `nextLink`.
    pub(crate) start_time_text: Option<String>,
    /// Decoded `syncState` fields.
    pub(crate) sync_state: Option<Vec<String>>,
}

impl Default for PageQuery {
    fn default() -> Self {
        Self {
            max_page_size: MAX_PAGE_SIZE,
            skip: 0,
            start_time: None,
            start_time_text: None,
            sync_state: None,
        }
    }
}

/// Parses the paging parameters of `query` (the raw query string).
pub(crate) fn parse_query(query: Option<&str>) -> Result<PageQuery, ApiError> {
    let mut page = PageQuery::default();
    let Some(query) = query else {
        return Ok(page);
    };
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "maxPageSize" => {
                // `int32` in the description, as the service parses it.
                let size: i32 = value.trim().parse().map_err(|_| {
                    bad_request("maxPageSize", "maxPageSize must be a 32-bit integer.")
                })?;
                if size < 1 {
                    return Err(bad_request(
                        "maxPageSize",
                        "maxPageSize must be at least 1.",
                    ));
                }
                page.max_page_size =
                    usize::try_from(size).map_or(MAX_PAGE_SIZE, |s| s.min(MAX_PAGE_SIZE));
            }
            "skip" => {
                let skip: i32 = value
                    .trim()
                    .parse()
                    .map_err(|_| bad_request("skip", "skip must be a 32-bit integer."))?;
                page.skip = usize::try_from(skip)
                    .map_err(|_| bad_request("skip", "skip must not be negative."))?;
            }
            "startTime" => {
                let time = parse_start_time(&value)?;
                page.start_time = Some(to_millis(time));
                page.start_time_text = Some(value.into_owned());
            }
            "syncState" => page.sync_state = Some(decode_token(&value)?),
            _ => {}
        }
    }
    Ok(page)
}

/// `startTime`: RFC 3339, or `0` for the epoch (as in the service's links).
fn parse_start_time(text: &str) -> Result<DateTime<Utc>, ApiError> {
    if text.trim() == "0" {
        return Ok(DateTime::<Utc>::UNIX_EPOCH);
    }
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            bad_request(
                "startTime",
                "startTime must be an RFC 3339 date-time, e.g. 2025-01-01T10:00:00Z.",
            )
        })
}

/// An opaque token holding `fields` (hex of the joined fields).
pub(crate) fn encode_token(fields: &[&str]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut separator = [0u8; 4];
    let joined = fields.join(&*TOKEN_SEPARATOR.encode_utf8(&mut separator));
    let mut token = String::with_capacity(joined.len() * 2);
    for b in joined.bytes() {
        token.push(char::from(HEX[usize::from(b >> 4)]));
        token.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    token
}

/// The answer to a `syncState` that is not one of ours (or not for this list).
pub(crate) fn invalid_sync_state() -> ApiError {
    bad_request("syncState", "The syncState continuation token is invalid.")
}

fn decode_token(token: &str) -> Result<Vec<String>, ApiError> {
    let invalid = invalid_sync_state;
    let bytes = token.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let decoded = bytes
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    let text = String::from_utf8(decoded).map_err(|_| invalid())?;
    Ok(text.split(TOKEN_SEPARATOR).map(str::to_owned).collect())
}

/// Percent-encodes a query value.
fn q(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `nextLink` of a `syncState`-paged list at `path` (e.g.
/// `/chat/threads/19:..@thread.v2/messages`).
pub(crate) fn sync_link(
    base: &str,
    path: &str,
    token: &str,
    page: &PageQuery,
    api_version: &str,
) -> String {
    let start = page
        .start_time_text
        .as_deref()
        .map(|t| format!("&startTime={}", q(t)))
        .unwrap_or_default();
    format!(
        "{base}{path}?syncState={}{start}&maxPageSize={}&api-version={}",
        q(token),
        page.max_page_size,
        q(api_version)
    )
}

/// `nextLink` of a `skip`-paged list at `path`.
pub(crate) fn skip_link(
    base: &str,
    path: &str,
    skip: usize,
    size: usize,
    api_version: &str,
) -> String {
    format!(
        "{base}{path}?skip={skip}&maxPageSize={size}&api-version={}",
        q(api_version)
    )
}

/// The `skip`/`maxPageSize` window of `items`, and whether more follow.
pub(crate) fn window<'a, T>(items: &'a [T], page: &PageQuery) -> (&'a [T], bool) {
    let start = page.skip.min(items.len());
    let end = start.saturating_add(page.max_page_size).min(items.len());
    (items.get(start..end).unwrap_or(&[]), end < items.len())
}

/// One `skip`-paged window of `items`, converted, with the `nextLink` to the
/// rest (participants and read receipts page this way).
pub(crate) fn skip_page<T, W>(
    items: &[T],
    page: &PageQuery,
    base_url: &str,
    path: &str,
    api_version: &str,
    convert: impl Fn(&T) -> W,
) -> (Vec<W>, Option<String>) {
    let (shown, more) = window(items, page);
    let next_link = more.then(|| {
        skip_link(
            base_url,
            path,
            page.skip + shown.len(),
            page.max_page_size,
            api_version,
        )
    });
    (shown.iter().map(convert).collect(), next_link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_limits() {
        assert_eq!(parse_query(None).ok(), Some(PageQuery::default()));
        let page = parse_query(Some("maxPageSize=500&skip=3&api-version=x")).ok();
        assert_eq!(page.as_ref().map(|p| p.max_page_size), Some(200));
        assert_eq!(page.map(|p| p.skip), Some(3));
        for bad in [
            "maxPageSize=0",
            "maxPageSize=-1",
            "maxPageSize=abc",
            "skip=-1",
            "skip=x",
            "startTime=yesterday",
            "syncState=zz",
            "syncState=abc",
        ] {
            assert!(parse_query(Some(bad)).is_err(), "{bad}");
        }
        let time = parse_query(Some("startTime=2025-01-01T10%3A00%3A00Z")).ok();
        assert_eq!(time.and_then(|p| p.start_time), Some(1_735_725_600_000));
    }

    #[test]
    fn tokens_round_trip() {
        let token = encode_token(&["m", "19:a@thread.v2", "42"]);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        let page = parse_query(Some(&format!("syncState={token}"))).ok();
        assert_eq!(
            page.and_then(|p| p.sync_state),
            Some(vec![
                "m".to_owned(),
                "19:a@thread.v2".to_owned(),
                "42".to_owned()
            ])
        );
    }

    #[test]
    fn windows() {
        let items = [1, 2, 3, 4, 5];
        let page = PageQuery {
            max_page_size: 2,
            skip: 3,
            ..PageQuery::default()
        };
        assert_eq!(window(&items, &page), (&items[3..5], false));
        let page = PageQuery {
            max_page_size: 2,
            skip: 0,
            ..PageQuery::default()
        };
        assert_eq!(window(&items, &page), (&items[0..2], true));
        let page = PageQuery {
            skip: 9,
            ..PageQuery::default()
        };
        assert_eq!(window(&items, &page).0.len(), 0);
    }
}
