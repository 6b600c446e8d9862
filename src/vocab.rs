//! Controlled vocabularies of the Government of Canada open data schema. (Being written.)
