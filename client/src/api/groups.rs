//! Groups and their ordered members.

use tocsin_types::{AddMember, Group, GroupMembers, GroupUpdate, ListQuery, MoveMember, NewGroup, Page};

use crate::operations::{
    ADD_GROUP_MEMBER, CREATE_GROUP, DELETE_GROUP, GET_GROUP, LIST_GROUPS, MOVE_GROUP_MEMBER, REMOVE_GROUP_MEMBER,
    SET_GROUP_MEMBERS, UPDATE_GROUP,
};
use crate::{Client, Error};

impl Client {
    /// One page of groups, filtered by `query`.
    pub async fn list_groups(&self, query: &ListQuery) -> Result<Page<Group>, Error> {
        self.call(&LIST_GROUPS, &[]).query(query).decode().await
    }

    /// Creates a group.
    pub async fn create_group(&self, group: &NewGroup) -> Result<Group, Error> {
        self.call(&CREATE_GROUP, &[]).json(group).decode().await
    }

    /// A group with its members in order.
    pub async fn get_group(&self, slug: &str) -> Result<Group, Error> {
        self.call(&GET_GROUP, &[slug]).decode().await
    }

    /// Changes the fields of a group that `update` holds.
    pub async fn update_group(&self, slug: &str, update: &GroupUpdate) -> Result<Group, Error> {
        self.call(&UPDATE_GROUP, &[slug]).json(update).decode().await
    }

    /// Deletes a group (its members stay as contacts).
    pub async fn delete_group(&self, slug: &str) -> Result<(), Error> {
        self.call(&DELETE_GROUP, &[slug]).no_content().await
    }

    /// Replaces the whole member list, in this order.
    pub async fn set_group_members(&self, slug: &str, members: &GroupMembers) -> Result<Group, Error> {
        self.call(&SET_GROUP_MEMBERS, &[slug]).json(members).decode().await
    }

    /// Adds one contact to a group.
    pub async fn add_group_member(&self, slug: &str, member: &AddMember) -> Result<Group, Error> {
        self.call(&ADD_GROUP_MEMBER, &[slug]).json(member).decode().await
    }

    /// Removes one contact from a group.
    pub async fn remove_group_member(&self, slug: &str, contact: &str) -> Result<Group, Error> {
        self.call(&REMOVE_GROUP_MEMBER, &[slug, contact]).decode().await
    }

    /// Moves a member to another place in the list.
    pub async fn move_group_member(&self, slug: &str, contact: &str, to: &MoveMember) -> Result<Group, Error> {
        self.call(&MOVE_GROUP_MEMBER, &[slug, contact]).json(to).decode().await
    }
}
