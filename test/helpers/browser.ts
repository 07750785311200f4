import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

/**
 * Where browser tests write their screenshots: `data/screenshots/` (ignored by git) on every test run;
 * `npm run screenshots` points AEGIS_SCREENSHOTS_DIR at `docs/screenshots/` to refresh the README's images
 * on purpose.
 */
export function screenshotDir(): string {
  const dir =
    process.env.AEGIS_SCREENSHOTS_DIR ?? fileURLToPath(new URL("../../data/screenshots/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  return dir.endsWith("/") ? dir : `${dir}/`;
}

/** A full-page screenshot of `page` as `name`.png in the screenshot folder. */
export async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${screenshotDir()}${name}.png`, fullPage: true });
}

/** Debian's Chromium, headless, with the flags that keep it off the (closed) network; a fresh profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Log the page in with the API token through the login form. */
export async function logIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByTestId("login").waitFor();
  await page.fill("input[name=token]", token);
  await page.click("button[type=submit]");
  await page.getByTestId("logged-in").waitFor();
}
