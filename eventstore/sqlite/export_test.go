package sqlite

// CommitStats returns how many commits that wrote events the store's writer
// has made and how many events they carried, so benchmarks can report the
// size of the group commits.
func CommitStats(s *Store) (commits, events uint64) {
	return s.stats.commits.Load(), s.stats.events.Load()
}
