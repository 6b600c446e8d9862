//! The pre-publication security screen. (Being written.)
