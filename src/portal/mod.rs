//! The CKAN-compatible mock portal. (Being written.)
