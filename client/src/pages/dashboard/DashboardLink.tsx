import type { JSX } from "solid-js";
import { navigate } from "../../app/router.js";
import "./dashboard.css";

/** The link to a dataset's dashboard, from its library card and its explorer. */
export function DashboardLink(props: { datasetId: string; class: string }) {
  return (
    <a
      class={props.class}
      href={`#/dashboard/${encodeURIComponent(props.datasetId)}`}
      onClick={(e) => (e.preventDefault(), navigate({ page: "dashboard", datasetId: props.datasetId }))}
      data-testid="open-dashboard"
      aria-label={`Dashboard of ${props.datasetId}`}
    >
      Dashboard
    </a>
  );
}

/** A library card with its dashboard link beside it (a link cannot sit inside the card's button). */
export function CardWithDashboard(props: { card: JSX.Element; datasetId: string }) {
  return (
    <div class="card-wrap">
      {props.card}
      <DashboardLink datasetId={props.datasetId} class="card-dash-link" />
    </div>
  );
}
