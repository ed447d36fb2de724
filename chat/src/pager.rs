//! Paged results as a `Stream`: nothing is sent until the stream is polled,
//! one page is held at a time, and `nextLink`s are followed as opaque URLs,
//! but only on the client's own endpoint.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::stream::{BoxStream, Stream, StreamExt};

use crate::error::{Error, ErrorKind, Result};

/// The most items a page may hold: the service's limit on `maxPageSize`.
pub const MAX_PAGE_SIZE: u32 = 200;

/// One page of results.
///
/// Serializes as `{"items": [...], "continuationToken": "..."}`.
///
/// ```
/// use acs_chat::{ChatThreadItem, Page};
///
/// let page = Page::new(vec![ChatThreadItem::new("19:a@thread.v2", "Launch")])
///     .continuation_token("https://contoso.communication.azure.com/chat/threads?syncState=1");
/// let json = serde_json::to_value(&page).unwrap();
/// assert_eq!(json["items"][0]["topic"], "Launch");
/// assert!(json["continuationToken"].is_string());
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page. Pass it to the list
    /// call's `continuation_token` to resume later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
}

impl<T> Page<T> {
    /// The last page (no continuation token), holding `items`.
    ///
    /// ```
    /// use acs_chat::{ChatThreadItem, Page};
    ///
    /// // A canned last page, e.g. in a test of code that consumes pages.
    /// let page = Page::new(vec![ChatThreadItem::new("19:a@thread.v2", "Launch plan")]);
    /// assert_eq!(page.items.len(), 1);
    /// assert!(page.continuation_token.is_none());
    /// ```
    pub fn new(items: Vec<T>) -> Self {
        Self {
            items,
            continuation_token: None,
        }
    }

    /// Sets where the next page starts.
    ///
    /// ```
    /// use acs_chat::{ChatThreadItem, Page};
    ///
    /// // A canned page that has a next one.
    /// let page = Page::new(vec![ChatThreadItem::new("19:a@thread.v2", "Launch plan")])
    ///     .continuation_token("https://contoso.communication.azure.com/chat/threads?syncState=abc");
    /// assert!(page.continuation_token.is_some());
    /// ```
    #[must_use]
    pub fn continuation_token(mut self, token: impl Into<String>) -> Self {
        self.continuation_token = Some(token.into());
        self
    }
}

/// The options of a list request, as the caller gave them; [`ListOptions::check`]
/// turns them into what goes on the wire.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ListOptions {
    pub(crate) max_page_size: Option<u32>,
    pub(crate) start_time: Option<DateTime<Utc>>,
    pub(crate) skip: Option<u32>,
    pub(crate) continuation_token: Option<String>,
}

/// Checked list options, in the wire's types.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct WireListOptions {
    pub(crate) max_page_size: Option<i32>,
    pub(crate) start_time: Option<DateTime<Utc>>,
    pub(crate) skip: Option<i32>,
}

impl ListOptions {
    /// The options in the wire's types, or an argument error for a page size
    /// outside `1..=200` or a `skip` above `i32::MAX` (the wire's `int32`).
    pub(crate) fn check(&self) -> Result<WireListOptions> {
        let max_page_size = match self.max_page_size {
            Some(size @ 1..=MAX_PAGE_SIZE) => Some(size as i32),
            Some(size) => {
                return Err(Error::invalid_argument(format!(
                    "results_per_page must be between 1 and {MAX_PAGE_SIZE}, not {size}"
                )))
            }
            None => None,
        };
        let skip = match self.skip {
            Some(skip) => Some(i32::try_from(skip).map_err(|_| {
                Error::invalid_argument(format!(
                    "skip must be at most {} (the service's int32), not {skip}",
                    i32::MAX
                ))
            })?),
            None => None,
        };
        Ok(WireListOptions {
            max_page_size,
            start_time: self.start_time,
            skip,
        })
    }
}

/// Fetches one page: the first (from the options) or the one at a `nextLink`.
pub(crate) type PageFetcher<T> =
    Arc<dyn Fn(PageRequest) -> BoxFuture<'static, Result<Page<T>>> + Send + Sync>;

/// Which page to fetch.
#[derive(Debug, Clone)]
pub(crate) enum PageRequest {
    /// The first page, with these options.
    First(ListOptions),
    /// The page at this `nextLink`.
    Next(String),
}

impl PageRequest {
    /// A first request with its options checked.
    pub(crate) fn first(options: &ListOptions) -> Result<Self> {
        options.check().map(|_| Self::First(options.clone()))
    }
}

/// Results of a list call, as a [`Stream`] of items (or of pages, with
/// [`by_page`](Pager::by_page)). Set options before the first poll.
///
/// ```no_run
/// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
/// use futures::TryStreamExt;
///
/// let mut messages = thread.list_messages().results_per_page(50);
/// while let Some(message) = messages.try_next().await? {
///     println!("{}: {:?}", message.id, message.content);
/// }
/// # Ok(()) }
/// ```
#[must_use = "a Pager sends nothing until it is polled"]
pub struct Pager<T> {
    options: ListOptions,
    fetch: PageFetcher<T>,
    items: Option<BoxStream<'static, Result<T>>>,
}

impl<T: Send + 'static> Pager<T> {
    pub(crate) fn new(fetch: PageFetcher<T>) -> Self {
        Self {
            options: ListOptions::default(),
            fetch,
            items: None,
        }
    }

    /// The most items per page the service should return: 1 to
    /// [`MAX_PAGE_SIZE`] (200). Another value fails the first poll with an
    /// [`ErrorKind::InvalidArgument`] error, before any request is sent.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let newest: Vec<_> = thread.list_messages().results_per_page(20).try_collect().await?;
    ///
    /// let error = thread.list_messages().results_per_page(0).try_collect::<Vec<_>>().await.unwrap_err();
    /// assert!(error.is_invalid_argument());
    /// # Ok(()) }
    /// ```
    pub fn results_per_page(mut self, count: u32) -> Self {
        self.options.max_page_size = Some(count);
        self
    }

    /// Resumes from a page's [`continuation_token`](Page::continuation_token).
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient, saved: String) -> acs_chat::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// // `saved`: the continuation token of the last page an earlier request showed.
    /// let mut pages = Box::pin(thread.list_messages().continuation_token(saved).by_page());
    /// if let Some(page) = pages.try_next().await? {
    ///     println!("{} more messages", page.items.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn continuation_token(mut self, token: impl Into<String>) -> Self {
        self.options.continuation_token = Some(token.into());
        self
    }

    /// The results page by page.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let mut pages = Box::pin(thread.list_messages().results_per_page(50).by_page());
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("{} messages, more to come: {}", page.items.len(), page.continuation_token.is_some());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn by_page(self) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
        pages(self.fetch, self.options)
    }

    /// Collects every item (all pages) into a `Vec`.
    ///
    /// ```no_run
    /// # async fn run(thread: acs_chat::ChatThreadClient) -> acs_chat::Result<()> {
    /// let participants = thread.list_participants().collect_all().await?;
    /// println!("{} participants", participants.len());
    /// # Ok(()) }
    /// ```
    pub async fn collect_all(self) -> Result<Vec<T>> {
        let mut all = Vec::new();
        let mut pages = std::pin::pin!(self.by_page());
        while let Some(page) = pages.next().await {
            all.extend(page?.items);
        }
        Ok(all)
    }

    pub(crate) fn with_start_time(mut self, time: DateTime<Utc>) -> Self {
        self.options.start_time = Some(time);
        self
    }

    pub(crate) fn with_skip(mut self, skip: u32) -> Self {
        self.options.skip = Some(skip);
        self
    }
}

fn pages<T: Send + 'static>(
    fetch: PageFetcher<T>,
    options: ListOptions,
) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
    // Bad options fail the first poll, before any request.
    let first = match options.continuation_token.clone() {
        Some(token) => options.check().map(|_| PageRequest::Next(token)),
        None => PageRequest::first(&options),
    };
    futures::stream::unfold(Some(first), move |next| {
        let fetch = fetch.clone();
        async move {
            let request = match next? {
                Ok(request) => request,
                Err(error) => return Some((Err(error), None)),
            };
            match fetch(request).await {
                Ok(page) => {
                    let following = page
                        .continuation_token
                        .clone()
                        .map(|link| Ok(PageRequest::Next(link)));
                    Some((Ok(page), following))
                }
                // An error ends the stream: the caller may resume from the
                // last continuation token it saw.
                Err(error) => Some((Err(error), None)),
            }
        }
    })
}

impl<T: Send + 'static> Stream for Pager<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let items = this.items.get_or_insert_with(|| {
            pages(this.fetch.clone(), this.options.clone())
                .flat_map(|page| {
                    let items: VecDeque<Result<T>> = match page {
                        Ok(page) => page.items.into_iter().map(Ok).collect(),
                        Err(error) => VecDeque::from([Err(error)]),
                    };
                    futures::stream::iter(items)
                })
                .boxed()
        });
        items.as_mut().poll_next(cx)
    }
}

impl<T> fmt::Debug for Pager<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pager")
            .field("options", &self.options)
            .field("started", &self.items.is_some())
            .finish()
    }
}

/// Whether a `nextLink` may be followed: only to the client's own scheme, host
/// and port, so the bearer token never goes anywhere else.
pub(crate) fn trusted_next_link(endpoint: &reqwest::Url, next_link: &str) -> Result<reqwest::Url> {
    let url = endpoint.join(next_link).map_err(|e| {
        Error::new(
            ErrorKind::UntrustedNextLink,
            format!("invalid nextLink: {e}"),
        )
    })?;
    let same_origin = url.scheme() == endpoint.scheme()
        && url.host_str() == endpoint.host_str()
        && url.port_or_known_default() == endpoint.port_or_known_default();
    if same_origin {
        Ok(url)
    } else {
        Err(Error::new(
            ErrorKind::UntrustedNextLink,
            format!(
                "refusing to follow a nextLink to {}://{}: it is not the client's endpoint",
                url.scheme(),
                url.host_str().unwrap_or("")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_are_followed_only_on_the_endpoint_origin() {
        let endpoint = reqwest::Url::parse("https://contoso.communication.azure.com/").unwrap();
        assert!(trusted_next_link(
            &endpoint,
            "https://contoso.communication.azure.com/chat/threads?x=1"
        )
        .is_ok());
        assert!(trusted_next_link(
            &endpoint,
            "https://contoso.communication.azure.com:443/chat/threads"
        )
        .is_ok());
        assert!(trusted_next_link(&endpoint, "/chat/threads?continuationToken=abc").is_ok());
        for bad in [
            "https://evil.example/chat/threads",
            "http://contoso.communication.azure.com/chat/threads",
            "https://contoso.communication.azure.com:8443/chat/threads",
            "https://contoso.communication.azure.com.evil.example/chat/threads",
            "//evil.example/chat/threads",
        ] {
            let error = trusted_next_link(&endpoint, bad).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::UntrustedNextLink, "{bad}");
        }
    }
}
