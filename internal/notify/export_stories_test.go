package notify

// WakeFollowUps makes every route look at its stories' follow-ups now, for
// a test that moved its clock.
func (s *Service) WakeFollowUps() {
	for _, r := range s.routes {
		r.poke()
	}
}
