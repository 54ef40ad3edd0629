#!/usr/bin/env python3
"""Process .rtdc files the way ChipStream drives dcnum: the job runner
works in a thread, the main thread polls ``get_status()`` every 0.3 s and
prints the progress.  Code written for dcnum changes only the import.

usage: chipstream_like.py INPUT.rtdc [OUTPUT.rtdc]
"""
import sys
import threading
import time

# with dcnum: from dcnum.logic import DCNumJobRunner, DCNumPipelineJob
from dcnumc import DCNumJobRunner, DCNumPipelineJob


def process(path_in, path_out=None):
    job = DCNumPipelineJob(path_in=path_in, path_out=path_out)
    runner = DCNumJobRunner(job=job)
    errors = []

    def work():
        try:
            with runner:
                runner.run()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    while worker.is_alive():
        status = runner.get_status()
        print(f"{status['state']:>12s} {status['progress']:6.1%} "
              f"{status['segm rate']:8.0f} frames/s", flush=True)
        time.sleep(0.3)
    worker.join()
    status = runner.get_status()
    print(f"{status['state']:>12s} {status['progress']:6.1%}", flush=True)
    if errors:
        print(f"error: {errors[0]}", file=sys.stderr)
        return 1
    print(f"{runner.event_count} events in {job['path_out']} "
          f"(pipeline {runner.pphash[:7]})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[-1])
    sys.exit(process(*sys.argv[1:]))
