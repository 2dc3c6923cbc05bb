#!/bin/sh
set -eu
greet "hello, world" > hello.txt
pkgtool hello 1.0 hello.txt
