import type { Browser, BrowserContext, Page } from "@playwright/test";
import { baseURL, DATASET, docsShot, expect, signedIn, test, users } from "./support/fixtures.js";

/**
 * Accounts in the browser, on the real server: a global admin creates an account with a name and a
 * role on one dataset; that person signs in, changes their password, creates an API token and uses
 * it over REST; the admin resets their password. A non-admin never gets the admin page.
 */

const carol = { username: `carol${Date.now() % 100_000}`, name: "Carol Curie", first: "carol-first-password" };

async function signInThroughForm(browser: Browser, username: string, password: string) {
  const context = await browser.newContext({ baseURL: baseURL(), viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`[${username}] page error: ${err.message}`));
  await page.goto("/");
  const login = page.getByTestId("login-dialog");
  await login.locator('input[name="username"]').fill(username);
  await login.locator('input[name="password"]').fill(password);
  await login.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("dataset-card").first()).toBeVisible();
  return { context, page };
}

async function openFromMenu(page: Page, item: "menu-admin" | "menu-profile"): Promise<void> {
  await page.getByTestId("user-menu").click();
  await page.getByTestId(item).click();
}

test("an admin manages an account in the browser; its owner changes their password and uses a token", async ({
  browser,
}) => {
  const contexts: BrowserContext[] = [];
  try {
    // The admin creates Carol: a name, viewer globally, annotator on the demo dataset.
    const admin = await signInThroughForm(browser, users.admin.username, users.admin.password);
    contexts.push(admin.context);
    await openFromMenu(admin.page, "menu-admin");
    await expect(admin.page).toHaveURL(/#\/admin$/);
    const form = admin.page.getByTestId("create-user");
    await form.locator('input[name="new-username"]').fill(carol.username);
    await form.locator('input[name="new-name"]').fill(carol.name);
    await form.locator('input[name="new-password"]').fill(carol.first);
    await form.locator('select[name="new-role"]').selectOption("viewer");
    await form.locator('select[name="new-dataset"]').selectOption(DATASET);
    await form.locator('select[name="new-dataset-role"]').selectOption("annotator");
    await form.getByRole("button", { name: "Create account" }).click();
    const row = admin.page.locator(`[data-testid="user-row"][data-username="${carol.username}"]`);
    await expect(row).toContainText(carol.name);
    await expect(row).toContainText(`${DATASET}: annotator`);

    // Carol signs in: her name, annotator on the demo dataset, no admin page in her menu.
    const c = await signInThroughForm(browser, carol.username, carol.first);
    contexts.push(c.context);
    await expect(c.page.getByTestId("user-menu")).toContainText(carol.name);
    await c.page.getByTestId("dataset-card").filter({ hasText: DATASET }).click();
    await expect(c.page.getByTestId("user-menu")).toContainText("annotator");
    await c.page.getByTestId("user-menu").click();
    await expect(c.page.getByTestId("menu-profile")).toBeVisible();
    await expect(c.page.getByTestId("menu-admin")).toHaveCount(0);
    await c.page.getByTestId("menu-profile").click();
    const profile = c.page.getByTestId("profile-page");
    await expect(profile).toContainText(carol.username);

    // A wrong current password is said in the form, and she stays signed in.
    const pw = profile.getByRole("form", { name: "Change your password" });
    await pw.locator('input[name="current-password"]').fill("not-my-password");
    await pw.locator('input[name="new-password"]').fill("carol-second-password");
    await pw.locator('input[name="new-password-again"]').fill("carol-second-password");
    await pw.getByRole("button", { name: "Change password" }).click();
    await expect(pw.getByRole("alert")).toContainText(/current password is wrong/);
    await expect(c.page.getByTestId("login-dialog")).toHaveCount(0);
    await pw.locator('input[name="current-password"]').fill(carol.first);
    await pw.getByRole("button", { name: "Change password" }).click();
    await expect(pw.getByTestId("password-changed")).toBeVisible();
    const oldLogin = await c.context.request.post("/auth/login", {
      data: { username: carol.username, password: carol.first },
    });
    expect(oldLogin.status()).toBe(401);

    // She creates a token (shown once) and uses it over REST.
    const tokens = profile.getByTestId("my-tokens");
    await tokens.locator('input[name="token-name"]').fill("import script");
    await tokens.getByRole("button", { name: "Create token" }).click();
    const secret = await tokens.getByTestId("new-token-value").inputValue();
    expect(secret).toMatch(/^tsr_/);
    await expect(tokens.getByTestId("token-row")).toHaveCount(1);
    await docsShot(c.page, "profile-page");
    const api = await c.context.request.get("/auth/me", { headers: { Authorization: `Bearer ${secret}` } });
    expect(api.status()).toBe(200);
    expect(await api.json()).toMatchObject({ username: carol.username, name: carol.name, auth: "token" });
    const records = await c.context.request.get(`/datasets/${DATASET}/records?limit=1`, {
      headers: { Authorization: `Bearer ${secret}` },
    });
    expect(records.status()).toBe(200);

    // The admin sees that token, then resets her password: the new one opens the account, hers no longer.
    await row.getByRole("button", { name: carol.username }).click();
    const detail = admin.page.getByTestId("user-detail");
    await expect(detail).toHaveAttribute("data-username", carol.username);
    await expect(detail.getByLabel(`Role on ${DATASET}`)).toHaveValue("annotator");
    await expect(detail.locator('select[name="edit-role"]')).toHaveValue("viewer");
    await expect(detail.getByTestId("user-tokens").getByTestId("token-row")).toContainText("import script");
    await detail.getByTestId("reset-password").click();
    const reset = await detail.getByTestId("reset-password-value").locator("input").inputValue();
    expect(reset.length).toBeGreaterThanOrEqual(20);
    await docsShot(admin.page, "admin-page");

    // A clear refusal from the server shows in the form: the same username again.
    await form.locator('input[name="new-username"]').fill(carol.username);
    await form.getByRole("button", { name: "Create account" }).click();
    await expect(form.getByRole("alert")).toContainText(/already exists/);
    const withOld = await c.context.request.post("/auth/login", {
      data: { username: carol.username, password: "carol-second-password" },
    });
    expect(withOld.status()).toBe(401);
    const withReset = await c.context.request.post("/auth/login", {
      data: { username: carol.username, password: reset },
    });
    expect(withReset.status()).toBe(200);
  } finally {
    for (const ctx of contexts) await ctx.close();
  }
});

test("a non-admin cannot open the admin page, and the server refuses them /users", async ({ browser }) => {
  const { context, page } = await signedIn(browser, "alice");
  try {
    await page.goto("/#/admin");
    await expect(page.getByTestId("admin-refused")).toBeVisible();
    await expect(page.getByTestId("users-table")).toHaveCount(0);
    await page.getByTestId("user-menu").click();
    await expect(page.getByTestId("menu-profile")).toBeVisible();
    await expect(page.getByTestId("menu-admin")).toHaveCount(0);
    const refused = await page.request.get("/users");
    expect(refused.status()).toBe(403);
  } finally {
    await context.close();
  }
});

test("an admin disables, enables, revokes a token of and deletes an account in the browser", async ({
  browser,
  playwright,
}) => {
  const dave = `dave${Date.now() % 100_000}`;
  const admin = await signInThroughForm(browser, users.admin.username, users.admin.password);
  // Dave's own requests, with their own cookie jar.
  const request = await playwright.request.newContext({ baseURL: baseURL() });
  try {
    await openFromMenu(admin.page, "menu-admin");
    const form = admin.page.getByTestId("create-user");
    await form.locator('input[name="new-username"]').fill(dave);
    await form.getByRole("button", { name: "Create account" }).click();
    // No password given: the server generated one, shown once.
    const password = await form.getByTestId("generated-password").locator("input").inputValue();
    expect(password.length).toBeGreaterThanOrEqual(20);
    const signIn = () => request.post("/auth/login", { data: { username: dave, password } });
    expect((await signIn()).status()).toBe(200);
    const tokenAnswer = await request.post("/auth/tokens", { data: { name: "dave's script" } });
    expect(tokenAnswer.status()).toBe(201);
    const token = ((await tokenAnswer.json()) as { token: string }).token;
    const bearer = { Authorization: `Bearer ${token}` };

    const detail = admin.page.getByTestId("user-detail");
    await expect(detail).toHaveAttribute("data-username", dave);
    await detail.getByTestId("toggle-disabled").click();
    await expect(detail.getByTestId("toggle-disabled")).toHaveText("Enable account");
    await expect(admin.page.locator(`[data-testid="user-row"][data-username="${dave}"]`)).toContainText("disabled");
    const refused = await signIn();
    expect(refused.status()).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/disabled/);
    expect((await request.get("/auth/me", { headers: bearer })).status()).toBe(401);
    await detail.getByTestId("toggle-disabled").click();
    await expect(detail.getByTestId("toggle-disabled")).toHaveText("Disable account");
    expect((await request.get("/auth/me", { headers: bearer })).status()).toBe(200);

    // Dave's token, as the admin sees it: revoked, it stops working.
    await admin.page.locator(`[data-testid="user-row"][data-username="${dave}"]`).getByRole("button").click();
    const tokenRow = detail.getByTestId("user-tokens").getByTestId("token-row");
    await expect(tokenRow).toContainText("dave's script");
    await tokenRow.getByRole("button", { name: "Revoke" }).click();
    await expect(detail.getByTestId("user-tokens")).toContainText("No API tokens.");
    expect((await request.get("/auth/me", { headers: bearer })).status()).toBe(401);

    await detail.getByRole("button", { name: "Delete account…" }).click();
    await detail.getByTestId("confirm-delete").click();
    await expect(admin.page.locator(`[data-testid="user-row"][data-username="${dave}"]`)).toHaveCount(0);
    expect((await signIn()).status()).toBe(401);
  } finally {
    await request.dispose();
    await admin.context.close();
  }
});
