#!/bin/sh
set -eu
greet "goodbye" > goodbye.txt
pkgtool goodbye 2.0 goodbye.txt
