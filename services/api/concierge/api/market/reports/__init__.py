"""Reports: buyers tell the moderators what is wrong with a published listing."""
