"""One runner per kind of step; each receives the SequenceContext and the Checkpoint."""
