//! The facade's test suite, as one test binary (one link on a small machine).
//! Every test talks only to an httpmock server on 127.0.0.1.

mod arguments;
mod common;
mod credential;
mod errors;
mod identity;
mod lost_answers;
mod operations;
mod paging;
mod participant_errors;
mod replay;
mod retries;
mod unknown_values;
