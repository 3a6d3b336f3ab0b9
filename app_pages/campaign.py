"""The campaign: open and close the assessment, issue survey links and download them, track
responses, export unused links for reminders, withdraw a response."""

import streamlit as st

from app_pages.common import get_engine, load_data, pick_assessment
from core.formats import spreadsheet_csv
from core.textsafety import markdown_literal
from survey.assessments import get_assessment, set_status
from survey.db import transaction
from survey.errors import StoreError
from survey.issuing import LINK_COLUMNS, issue_invitations, issue_open_link, link_rows, reissue_unused
from survey.reads import recent_responses
from survey.responding import withdraw
from survey.settings import get_settings
from survey.tokens import token_from_link
from survey.tracking import UNUSED_COLUMNS, tracking, unused_invitations, unused_rows

state = st.session_state


def offer_links(rows: list[dict], name: str, note: str) -> None:
    """Keep fresh links for download: they exist only now (the database keeps their hashes)."""
    state.campaign_links = (spreadsheet_csv(rows, LINK_COLUMNS), name, note)


key = pick_assessment()
if key:
    data = load_data(key)
    engine = get_engine()
    with transaction(engine, write=False) as session:
        status = get_assessment(session=session, key=key).status
    st.title(f"Campaign: {markdown_literal(data.name)}", anchor=False)
    cols = st.columns([1, 1, 3])
    cols[0].metric("Status", status)
    if status != "open" and cols[1].button("Open the survey", type="primary", key="campaign_open"):
        with transaction(engine) as session:
            set_status(session=session, key=key, status="open")
        st.rerun()
    if status == "open" and cols[1].button("Close the survey", key="campaign_close"):
        with transaction(engine) as session:
            set_status(session=session, key=key, status="closed")
        st.rerun()

    st.subheader("Issue survey links")
    groups = dict(zip(data.groups["group"], data.groups["name"], strict=True))
    group = st.selectbox("Group", list(groups), format_func=groups.get, key="links_group")
    with st.form("issue_links"):
        cols = st.columns(3)
        channels = ["", *data.channels.loc[data.channels["group"] == group, "channel"]]
        channel = cols[0].selectbox(
            "Channel", channels, format_func=lambda c: c or "(any)", key="links_channel"
        )
        language = cols[1].selectbox("Language", ["en", "zh"], key="links_language")
        count = cols[2].number_input("Personal links", 1, 100_000, 10, key="links_count")
        is_open = st.checkbox(
            "One open link instead (anonymous, shared; replaces the group's older one)", key="links_open"
        )
        if st.form_submit_button("Issue links", type="primary", key="links_issue"):
            try:
                with transaction(engine) as session:
                    if is_open:
                        links = [
                            issue_open_link(
                                session=session,
                                assessment_key=key,
                                group=group,
                                channel=channel or None,
                                language=language,
                            )[0]
                        ]
                    else:
                        links = issue_invitations(
                            session=session,
                            assessment_key=key,
                            group=group,
                            count=int(count),
                            channel=channel or None,
                            language=language,
                        )
            except StoreError as error:
                st.error(str(error))
            else:
                offer_links(
                    link_rows(links, get_settings().base_url),
                    f"links-{key}-{group}.csv",
                    f"{len(links)} link(s) for {groups[group]}",
                )
    if "campaign_links" in state:
        content, name, note = state.campaign_links
        st.warning(f"{note}: download them now. Only their hashes are stored; they cannot be shown again.")
        st.download_button(
            "Download the links (CSV)", content, file_name=name, mime="text/csv", key="links_download"
        )

    st.subheader("Responses")
    with transaction(engine, write=False) as session:
        table = tracking(session=session, assessment_key=key)
        unused = unused_invitations(session=session, assessment_key=key)
    if table.empty:
        st.caption("No survey links issued yet.")
    else:
        issued, done = int(table["issued"].sum()), int(table["submitted"].sum())
        st.write(f"{done} of {issued} personal links submitted ({done / issued:.0%})." if issued else "")
        st.dataframe(
            table.assign(group=table["group"].map(groups)),
            hide_index=True,
            column_config={"response_rate": st.column_config.NumberColumn("Response rate", format="percent")},
            key="campaign_tracking",
        )
    cols = st.columns(2)
    cols[0].download_button(
        f"Unused invitations ({len(unused)}) for reminders (CSV)",
        spreadsheet_csv(unused_rows(unused), UNUSED_COLUMNS),
        file_name=f"unused-{key}.csv",
        mime="text/csv",
        disabled=not unused,
        key="unused_download",
    )
    if cols[1].button("New links for the unused invitations", disabled=not unused, key="unused_reissue"):
        with transaction(engine) as session:
            fresh = reissue_unused(session=session, assessment_key=key)
        offer_links(
            link_rows(fresh, get_settings().base_url),
            f"reminders-{key}.csv",
            f"{len(fresh)} new link(s); the old ones no longer work",
        )
        st.rerun()

    st.subheader("Withdraw a response")
    with transaction(engine, write=False) as session:
        latest = recent_responses(session=session, assessment_key=key, limit=50)
    with st.expander(f"Latest responses ({len(latest)})"):
        st.dataframe(latest, hide_index=True, key="campaign_latest")
    with st.form("withdraw"):
        target = st.text_input("Response id, or the survey link it came from", key="withdraw_target")
        sure = st.checkbox("Delete this response for good (it then counts nowhere)", key="withdraw_sure")
        if st.form_submit_button("Withdraw", key="withdraw_submit"):
            if not sure:
                st.error("Tick the box to confirm.")
            else:
                text = target.strip()
                try:
                    with transaction(engine) as session:
                        removed = withdraw(
                            session=session,
                            assessment_key=key,
                            response_id=int(text) if text.isdigit() else None,
                            token=None if text.isdigit() else token_from_link(text),
                        )
                except (StoreError, ValueError) as error:
                    st.error(str(error))
                else:
                    st.success(f"Withdrew response {removed}.")
