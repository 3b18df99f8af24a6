# PrairieLearn's external-grader image for Sophia: Python 3.11 and the kit's dependencies, pinned.
# Nothing of the kit is in it (the kit goes in the course's serverFilesCourse/sophia/), so the
# image may be public on Docker Hub. Build it from a folder holding this file and the
# requirements.txt of the Gradescope zip (the versions the kit was tested with):
#   python -m grader gradescope --out autograder.zip && unzip -o autograder.zip requirements.txt
#   docker build -f grader/classroom/prairielearn.Dockerfile -t your-org/sophia-grader .
FROM python:3.11-slim
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt
