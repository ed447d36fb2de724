//! nextLink validation: a link is followed only on the endpoint's own origin
//! (scheme, host and port), whatever the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    // "endpoint\nnextLink", or a fixed endpoint when there is no newline.
    let (endpoint, link) = text
        .split_once('\n')
        .unwrap_or(("https://contoso.communication.azure.com/", text));
    if let Some((endpoint, followed)) = acs_chat::fuzzing::trusted_next_link(endpoint, link) {
        let origin = |url: &reqwest::Url| {
            (
                url.scheme().to_owned(),
                url.host_str().map(str::to_owned),
                url.port_or_known_default(),
            )
        };
        // The client only accepts http(s) endpoints, which always have a host.
        if !matches!(endpoint.scheme(), "http" | "https") {
            return;
        }
        assert_eq!(
            origin(&endpoint),
            origin(&followed),
            "{link:?} left {endpoint}"
        );
    }
});
