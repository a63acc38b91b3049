import { createEffect, Match, on, onCleanup, Show, Switch } from "solid-js";
import { resetFollow } from "./app/follow.js";
import { navigate, route } from "./app/router.js";
import { closeLive } from "./live/liveStore.js";
import { AdminPage } from "./pages/admin/AdminPage.js";
import { DashboardPage } from "./pages/dashboard/DashboardPage.js";
import { ExplorerPage } from "./pages/explorer/ExplorerPage.js";
import { ImportPage } from "./pages/import/ImportPage.js";
import { LibraryPage } from "./pages/library/LibraryPage.js";
import { ProfilePage } from "./pages/profile/ProfilePage.js";
import { WorkspacePage } from "./pages/workspace/WorkspacePage.js";
import { authState, identity, loadSession, onSignedIn, type Identity } from "./session.js";
import { watchUser } from "./sync/outbox.js";
import { startOutboxFlusher } from "./sync/outboxFlusher.js";
import { IdentityDialog } from "./ui/IdentityDialog.js";
import { LoginDialog } from "./ui/LoginDialog.js";
import { Toasts } from "./ui/Toasts.js";
import { UserMenu } from "./ui/UserMenu.js";

/** The dataset of a dashboard route. */
const dashboardOf = (r: ReturnType<typeof route>): string | null => (r.page === "dashboard" ? r.datasetId : null);

/** A key that changes when the person (or their role) changes: pages re-open their connections. */
function who(me: Identity): string {
  return `${me.userId}\u0000${me.name}\u0000${me.role}\u0000${JSON.stringify(me.datasetRoles)}`;
}

/** The shell: sign-in (accounts) or the first-visit identity dialog (no accounts), routes, toasts. */
export function App() {
  void loadSession();
  // Edits queued by earlier visits (other records, closed or crashed tabs) are sent on start, when
  // the browser is back online and after a sign-in; the counts show what is still queued.
  const flusher = startOutboxFlusher(identity);
  onCleanup(() => flusher.stop());
  onCleanup(onSignedIn(() => flusher.run()));
  createEffect(
    on(
      () => identity()?.userId ?? null,
      (user) => {
        void watchUser(user).catch((err: unknown) => console.error("tessera: cannot read the outbox", err));
        if (user !== null) flusher.run();
      },
    ),
  );
  // Leaving a dataset (or signing out) closes its live channel and stops following.
  createEffect(
    on(
      () => {
        const r = route();
        const me = identity();
        return me && (r.page === "explorer" || r.page === "workspace" || r.page === "dashboard")
          ? `${r.datasetId}\u0000${who(me)}`
          : null;
      },
      (key, prev) => {
        // Pages open their dataset's channel themselves (liveFor replaces one of another dataset);
        // here only what no page owns: closing it on the library, and dropping a follow.
        if (prev === undefined || key === prev) return;
        resetFollow();
        if (key === null) closeLive();
      },
    ),
  );
  const explorer = () => {
    const r = route();
    return r.page === "explorer" ? r : null;
  };
  const workspace = () => {
    const r = route();
    return r.page === "workspace" ? r : null;
  };
  return (
    <div class="app">
      <Switch>
        <Match when={authState().kind === "loading"}>
          <div class="empty">Loading…</div>
        </Match>
        <Match when={authState().kind === "signedOut"}>
          <LoginDialog />
        </Match>
        <Match when={!identity()}>
          <IdentityDialog />
        </Match>
        <Match when={identity()}>
          {(me) => (
            <Switch>
              <Match when={workspace()}>
                {(w) => (
                  <Show when={`${w().datasetId}\u0000${w().recordId}\u0000${who(me())}`} keyed>
                    <WorkspacePage
                      datasetId={w().datasetId}
                      recordId={w().recordId}
                      query={w().query}
                      identity={me()}
                    />
                  </Show>
                )}
              </Match>
              <Match when={true}>
                <header class="topbar">
                  <a class="brand" href="#/" onClick={(e) => (e.preventDefault(), navigate({ page: "library" }))}>
                    <span class="brand-mark" /> Tessera
                  </a>
                  <Show when={explorer()}>
                    {(x) => (
                      <>
                        <span class="crumb">/</span>
                        <span>{x().datasetId}</span>
                      </>
                    )}
                  </Show>
                  <span class="spacer" />
                  <UserMenu datasetId={explorer()?.datasetId} />
                </header>
                <main class="page">
                  <Switch
                    fallback={
                      <div class="empty">
                        Nothing here. <a href="#/">Back to the library</a>
                      </div>
                    }
                  >
                    <Match when={route().page === "library"}>
                      <LibraryPage />
                    </Match>
                    <Match when={route().page === "profile"}>
                      <ProfilePage identity={me()} />
                    </Match>
                    <Match when={route().page === "admin"}>
                      <AdminPage identity={me()} />
                    </Match>
                    <Match when={route().page === "import"}>
                      <ImportPage identity={me()} />
                    </Match>
                    <Match when={explorer()}>
                      {(x) => (
                        <Show when={`${x().datasetId}\u0000${who(me())}`} keyed>
                          <ExplorerPage datasetId={x().datasetId} query={x().query} />
                        </Show>
                      )}
                    </Match>
                    <Match when={dashboardOf(route())}>
                      {(id) => (
                        <Show when={`${id()}\u0000${who(me())}`} keyed>
                          <DashboardPage datasetId={id()} identity={me()} />
                        </Show>
                      )}
                    </Match>
                  </Switch>
                </main>
              </Match>
            </Switch>
          )}
        </Match>
      </Switch>
      <Show when={authState().kind === "expired"}>
        <LoginDialog expired username={identity()?.userId ?? ""} />
      </Show>
      <Toasts />
    </div>
  );
}
