// The time-to-interactive measurement of `make bench`: the same servers and projects as the
// test suite, only the specs under bench/.
import base from "./playwright.config";
import { defineConfig } from "@playwright/test";

export default defineConfig({ ...base, testDir: "./bench", workers: 1, fullyParallel: false });
