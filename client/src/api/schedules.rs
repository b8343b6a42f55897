//! Duty schedules and when they are on duty.

use tocsin_types::{DutyRange, ListQuery, NewSchedule, Page, Schedule, ScheduleDuty, ScheduleUpdate};

use crate::operations::{
    CREATE_SCHEDULE, DELETE_SCHEDULE, GET_SCHEDULE, GET_SCHEDULE_DUTY, LIST_SCHEDULES, UPDATE_SCHEDULE,
};
use crate::{Client, Error};

impl Client {
    /// One page of schedules, filtered by `query`.
    pub async fn list_schedules(&self, query: &ListQuery) -> Result<Page<Schedule>, Error> {
        self.call(&LIST_SCHEDULES, &[]).query(query).decode().await
    }

    /// Creates a schedule.
    pub async fn create_schedule(&self, schedule: &NewSchedule) -> Result<Schedule, Error> {
        self.call(&CREATE_SCHEDULE, &[]).json(schedule).decode().await
    }

    pub async fn get_schedule(&self, slug: &str) -> Result<Schedule, Error> {
        self.call(&GET_SCHEDULE, &[slug]).decode().await
    }

    /// Changes the fields of a schedule that `update` holds.
    pub async fn update_schedule(&self, slug: &str, update: &ScheduleUpdate) -> Result<Schedule, Error> {
        self.call(&UPDATE_SCHEDULE, &[slug]).json(update).decode().await
    }

    /// Deletes a schedule; refused (409) while a contact or group uses it.
    pub async fn delete_schedule(&self, slug: &str) -> Result<(), Error> {
        self.call(&DELETE_SCHEDULE, &[slug]).no_content().await
    }

    /// When the schedule is on duty within `range`.
    pub async fn get_schedule_duty(&self, slug: &str, range: &DutyRange) -> Result<ScheduleDuty, Error> {
        self.call(&GET_SCHEDULE_DUTY, &[slug]).query(range).decode().await
    }
}
