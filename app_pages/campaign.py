"""The campaign: open and close the assessment, issue survey links and download them or mail
them to a contact list, track responses, reminders, withdraw a response."""

import streamlit as st

from app_pages import mailing
from app_pages.common import get_engine, load_data, pick_assessment
from core.formats import spreadsheet_csv
from core.textsafety import markdown_literal
from services import fieldwork
from services.fieldwork import LANGUAGES, LINK_COLUMNS, MAX_LINKS_PER_CALL, UNUSED_COLUMNS, NewLinks
from survey.errors import StoreError

state = st.session_state


def offer_links(links: NewLinks, name: str, note: str) -> None:
    """Keep fresh links for download: they exist only now (the database keeps their hashes)."""
    state.campaign_links = (spreadsheet_csv(links.rows, LINK_COLUMNS), name, note)


chosen = pick_assessment()
if chosen:
    key = chosen.assessment_key
    data = load_data(chosen)
    engine = get_engine()
    st.title(f"Campaign: {markdown_literal(data.name)}", anchor=False)
    status, switch, _ = st.columns([1, 1, 3])
    status.metric("Status", chosen.status)
    if chosen.status != "open" and switch.button("Open the survey", type="primary", key="campaign_open"):
        fieldwork.open_survey(engine=engine, assessment_key=key)
        st.rerun()
    if chosen.status == "open" and switch.button("Close the survey", key="campaign_close"):
        fieldwork.close_survey(engine=engine, assessment_key=key)
        st.rerun()

    st.subheader("Issue survey links")
    base_url = mailing.link_address()
    groups = dict(zip(data.groups["group"], data.groups["name"], strict=True))
    group = st.selectbox("Group", list(groups), format_func=lambda g: groups[g], key="links_group")
    with st.form("issue_links"):
        cols = st.columns(3)
        channels = ["", *data.channels.loc[data.channels["group"] == group, "channel"]]
        channel = cols[0].selectbox(
            "Channel", channels, format_func=lambda c: c or "(any)", key="links_channel"
        )
        language = cols[1].selectbox(
            "Language", list(LANGUAGES), format_func=lambda code: LANGUAGES[code], key="links_language"
        )
        count = cols[2].number_input("Personal links", 1, MAX_LINKS_PER_CALL, 10, key="links_count")
        is_open = st.checkbox(
            "One open link instead (anonymous, shared; replaces the group's older one)", key="links_open"
        )
        if st.form_submit_button("Issue links", type="primary", key="links_issue"):
            try:
                if is_open:
                    links = fieldwork.issue_open_link(
                        engine=engine,
                        assessment_key=key,
                        group=group,
                        channel=channel or None,
                        language=language,
                        base_url=base_url,
                    )
                else:
                    links = fieldwork.issue_links(
                        engine=engine,
                        assessment_key=key,
                        group=group,
                        count=int(count),
                        channel=channel or None,
                        language=language,
                        base_url=base_url,
                    )
            except StoreError as error:
                st.error(str(error))
            else:
                offer_links(links, f"links-{key}-{group}.csv", f"{len(links)} link(s) for {groups[group]}")
    if "campaign_links" in state:
        content, name, note = state.campaign_links
        st.warning(f"{note}: download them now. Only their hashes are stored; they cannot be shown again.")
        st.download_button(
            "Download the links (CSV)", content, file_name=name, mime="text/csv", key="links_download"
        )

    mailing.email_section(engine, key, chosen.status, base_url)

    st.subheader("Responses")
    campaign = fieldwork.campaign(engine=engine, assessment_key=key)
    table, unused = campaign.tracking, campaign.unused
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
    download, reissue = st.columns(2)
    download.download_button(
        f"Unused invitations ({len(unused)}) for reminders (CSV)",
        spreadsheet_csv(unused, UNUSED_COLUMNS),
        file_name=f"unused-{key}.csv",
        mime="text/csv",
        disabled=not unused,
        key="unused_download",
    )
    if reissue.button("New links for the unused invitations", disabled=not unused, key="unused_reissue"):
        fresh = fieldwork.reissue_unused(engine=engine, assessment_key=key, base_url=base_url)
        offer_links(fresh, f"reminders-{key}.csv", f"{len(fresh)} new link(s); the old ones no longer work")
        st.rerun()

    mailing.purge_section(engine, key)

    st.subheader("Withdraw a response")
    latest = campaign.latest_responses
    with st.expander(f"Latest responses ({len(latest)})"):
        st.dataframe(latest, hide_index=True, key="campaign_latest")
    with st.form("withdraw"):
        text = st.text_input("Response id, or the survey link it came from", key="withdraw_target").strip()
        sure = st.checkbox("Delete this response for good (it then counts nowhere)", key="withdraw_sure")
        if st.form_submit_button("Withdraw", key="withdraw_submit"):
            if not sure:
                st.error("Tick the box to confirm.")
            else:
                try:
                    removed = fieldwork.withdraw(
                        engine=engine,
                        assessment_key=key,
                        response_id=int(text) if text.isdigit() else None,
                        link=None if text.isdigit() else text,
                    )
                except (StoreError, ValueError) as error:
                    st.error(str(error))
                else:
                    st.success(f"Withdrew response {removed}.")
