//! Lists: the first page through the operation, later ones at the
//! `nextLink`s the service returned, both through [`Pipeline::call`] and so
//! through the same retries and conversion.

use std::sync::Arc;

use acs_chat_rest::OperationRoute;
use serde::de::DeserializeOwned;

use super::{boxed, check_id, Pipeline, RawCall, RawError};
use crate::pager::{trusted_next_link, Page, PageFetcher, PageRequest, Pager, WireListOptions};

/// One page of a list as the service sends it (`value`, `nextLink`), read
/// straight into the facade's models: their serde shape is the service's
/// JSON, so a page needs no wire value to build and convert (for a page of
/// 50 messages, a second 25 KB vector and a conversion of each).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServicePage<T> {
    value: Vec<T>,
    #[serde(default)]
    next_link: Option<String>,
}

impl<T> From<ServicePage<T>> for Page<T> {
    fn from(page: ServicePage<T>) -> Self {
        Page {
            items: page.value,
            continuation_token: page.next_link,
        }
    }
}

/// The raw call of a list's first page: the attempt's raw client, the thread
/// id (empty for the thread list) and the checked options.
pub(crate) type FirstPage<T> = dyn for<'c> Fn(
        &'c acs_chat_rest::Client,
        &'c str,
        &'c WireListOptions,
    ) -> RawCall<'c, ServicePage<T>>
    + Send
    + Sync;

impl Pipeline {
    /// A pager of `route` whose first page comes from `first` and later ones
    /// from `nextLink`s on this client's endpoint.
    pub(crate) fn pager<T>(
        self: &Arc<Self>,
        route: &'static OperationRoute,
        thread_id: Option<String>,
        first: Box<FirstPage<T>>,
    ) -> Pager<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let pipeline = self.clone();
        let first: Arc<FirstPage<T>> = Arc::from(first);
        let thread_id: Option<Arc<str>> = thread_id.map(Arc::from);
        let fetch: PageFetcher<T> = Arc::new(move |request| {
            let pipeline = pipeline.clone();
            let first = first.clone();
            let thread_id = thread_id.clone();
            Box::pin(async move {
                let thread = thread_id.as_deref();
                let page = match request {
                    PageRequest::First(options) => {
                        if let Some(thread) = thread {
                            check_id("the thread id", thread)?;
                        }
                        let options = options.check()?;
                        let (first, options) = (&first, &options);
                        pipeline
                            .call(route, thread, |raw, _| {
                                first(raw, thread.unwrap_or(""), options)
                            })
                            .await?
                    }
                    PageRequest::Next(link) => {
                        let url = trusted_next_link(&pipeline.endpoint, &link)?;
                        let url = &url;
                        pipeline
                            .call(route, thread, |raw, _| {
                                boxed(async move {
                                    // The link came from the service, not the
                                    // caller: a path the route check rejects is
                                    // a refusal, not an invalid argument.
                                    raw.next_page::<ServicePage<T>>(route, url.clone())
                                        .await
                                        .map_err(|error| match error {
                                            RawError::InvalidRequest(message) => {
                                                RawError::Custom(message)
                                            }
                                            other => other,
                                        })
                                })
                            })
                            .await?
                    }
                };
                Ok(Page::from(*page))
            })
        });
        Pager::new(fetch)
    }
}
