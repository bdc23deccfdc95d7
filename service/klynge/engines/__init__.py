"""Where queries run: the embedded store and its workers, remote stores, the guard, loading."""
