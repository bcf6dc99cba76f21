#!/bin/bash
pkill keepalived
