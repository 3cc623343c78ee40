//! Authentication: password hashing, access and refresh tokens, API keys, and resolving a caller.

pub mod api_keys;
pub mod password;
pub mod principal;
pub mod secrets;
pub mod throttle;
pub mod tokens;
