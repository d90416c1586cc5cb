# A hand-made reply the grader's parser must survive.
def sample_noise(*args, **kwargs):
    _send_raw(_result('[' * 200000 + ']' * 200000))
