#!/bin/sh
# Sample action script stored with the configuration.
echo "nightly report"
