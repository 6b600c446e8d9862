//! Validation against open schemas. (Being written.)
