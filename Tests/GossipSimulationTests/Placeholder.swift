// Replaced by the simulator tests.
