# Several processes, each under the per-process limit, together over the question's limit.
def discriminator_loss(logits_real, logits_fake):
    for _ in range(4):
        if _os.fork() == 0:
            _hog = bytearray(300 * 2 ** 20)
            for _i in range(0, len(_hog), 4096):
                _hog[_i] = 1
            _time.sleep(60)
            _os._exit(0)
    _time.sleep(30)
    return _real["discriminator_loss"](logits_real, logits_fake)
