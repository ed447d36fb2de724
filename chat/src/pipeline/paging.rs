//! Lists: the first page through the operation, later ones at the
//! `nextLink`s the service returned, both through [`Pipeline::call`] and so
//! through the same retries and conversion.

use std::sync::Arc;

use acs_chat_rest::types as wire;
use acs_chat_rest::OperationRoute;
use serde::de::DeserializeOwned;

use super::{boxed, check_id, Pipeline, RawCall, RawError};
use crate::pager::{trusted_next_link, Page, PageFetcher, PageRequest, Pager, WireListOptions};

/// A raw list response: its items and its `nextLink`.
pub(crate) trait WireCollection: DeserializeOwned + Send + 'static {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

macro_rules! wire_collection {
    ($($collection:ident => $item:ident),* $(,)?) => {$(
        impl WireCollection for wire::$collection {
            type Item = wire::$item;
            fn into_parts(self) -> (Vec<Self::Item>, Option<String>) {
                (self.value, self.next_link)
            }
        }
    )*};
}

wire_collection! {
    ChatThreadsItemCollection => ChatThreadItem,
    ChatMessagesCollection => ChatMessage,
    ChatParticipantsCollection => ChatParticipant,
    ChatMessageReadReceiptsCollection => ChatMessageReadReceipt,
}

/// A page of facade items from a raw collection.
fn page_of<C: WireCollection, T>(collection: C, convert: fn(C::Item) -> T) -> Page<T> {
    let (items, next_link) = collection.into_parts();
    Page {
        items: items.into_iter().map(convert).collect(),
        continuation_token: next_link,
    }
}

/// The raw call of a list's first page: the attempt's raw client, the thread
/// id (empty for the thread list) and the checked options.
pub(crate) type FirstPage<C> = dyn for<'c> Fn(&'c acs_chat_rest::Client, &'c str, &'c WireListOptions) -> RawCall<'c, C>
    + Send
    + Sync;

impl Pipeline {
    /// A pager of `route` whose first page comes from `first` and later ones
    /// from `nextLink`s on this client's endpoint.
    pub(crate) fn pager<C, T>(
        self: &Arc<Self>,
        route: &'static OperationRoute,
        thread_id: Option<String>,
        first: Box<FirstPage<C>>,
        convert: fn(C::Item) -> T,
    ) -> Pager<T>
    where
        C: WireCollection,
        T: Send + 'static,
    {
        let pipeline = self.clone();
        let first: Arc<FirstPage<C>> = Arc::from(first);
        let thread_id: Option<Arc<str>> = thread_id.map(Arc::from);
        let fetch: PageFetcher<T> = Arc::new(move |request| {
            let pipeline = pipeline.clone();
            let first = first.clone();
            let thread_id = thread_id.clone();
            Box::pin(async move {
                let thread = thread_id.as_deref();
                let collection = match request {
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
                                    raw.next_page::<C>(route, url.clone())
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
                Ok(page_of(*collection, convert))
            })
        });
        Pager::new(fetch)
    }
}
