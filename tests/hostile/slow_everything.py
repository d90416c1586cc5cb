# A slow import, then every function hangs.
_time.sleep(4)


def sample_noise(*args, **kwargs):
    while True:
        pass


discriminator_loss = generator_loss = ls_generator_loss = ls_discriminator_loss = sample_noise
discriminator = generator = build_dc_classifier = build_dc_generator = get_optimizer = sample_noise
