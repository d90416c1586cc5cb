# Files in /tmp, /dev/shm and the working folder, more than their size caps allow.
for _path in ["/tmp/{TAG}-x1", "/dev/shm/{TAG}-x2", "big-{TAG}-x3"]:
    try:
        with open(_path, "wb") as _f:
            for _ in range(20):
                _f.write(b"\0" * 2 ** 20)
    except OSError:
        pass
