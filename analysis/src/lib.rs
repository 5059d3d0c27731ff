//! Analysis: sentiment, themes, statistics.
